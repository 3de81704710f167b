import { relative } from 'node:path';
import protos from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { History } from '@temporalio/common/lib/proto-utils';
import { anchorCases } from './cases/provenance';
import { EARLIER_RELEASES } from './cases/earlier-release';
import { endorsementCases } from './cases/endorsement';
import { evaluationCases, reviewCases } from './cases/delegation';
import { notificationCases } from './cases/notifications';
import { proposalCases } from './cases/guard';
import type { ReplayCase } from './cases/replay-case';
import { writeCorpusHistory } from './corpus';
import { startRecordingStack } from './recording-stack';
import { patchIds } from '../support/bundle-with-stand-in';

/**
 * `npm run replay:record -- [workflow|*] [case]`: drives the chosen cases (all by default) through
 * Warden's client against a real Temporal dev server and worker running the current workflow code,
 * and writes each history into test/replay/histories/. Every history is replayed once right away
 * and checked for texts that must never reach a history before it is written.
 */
// The anchor case deletes the newest provenance entries: it runs last.
const CASES: ReplayCase[] = [
  ...endorsementCases,
  ...reviewCases,
  ...evaluationCases,
  ...proposalCases,
  ...notificationCases,
  ...anchorCases,
];

const [workflow, caseName] = process.argv.slice(2);
// A workflow type (or * for all); cases by name or a part of it, comma-separated (`before-` picks every
// earlier-release case); a whole name picks that case alone (`staged-promoted`, not its `.before-…` twin).
const ofType = CASES.filter((c) => !workflow || workflow === '*' || c.workflow === workflow);
const picks = (c: ReplayCase, name: string) =>
  ofType.some((o) => o.name === name) ? c.name === name : c.name.includes(name);
const chosen = ofType.filter((c) => !caseName || caseName.split(',').some((name) => picks(c, name)));
if (chosen.length === 0) {
  console.error(`no case matches ${[workflow, caseName].filter(Boolean).join(' ')}; the cases are:`);
  for (const c of CASES) console.error(`  ${c.workflow} ${c.name}`);
  process.exit(2);
}

// What the chat path, the feedback intake and the stack's key put into PostgreSQL only (see the cases).
const NEVER_IN_A_HISTORY = [
  'capital of France',
  'sort a list in Python',
  'dangerous chemical',
  'get around the filter',
  'I cannot help with that',
];

/** Every text a history carries: its JSON and each payload decoded. */
function textsOf(history: History): string[] {
  const texts = [JSON.stringify(history)];
  const walk = (value: unknown) => {
    if (value instanceof Uint8Array) texts.push(Buffer.from(value).toString('utf8'));
    else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
  };
  walk(history);
  return texts;
}

const { EventType } = protos.temporal.api.enums.v1;
const CLOSING = new Set([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

const stack = await startRecordingStack();
let failures = 0;
try {
  for (const c of chosen) {
    const started = Date.now();
    console.log(`recording ${c.workflow} ${c.name} …`);
    try {
      for (const r of await c.record(stack)) {
        const history = await stack.ctx.temporal.workflow.getHandle(r.workflowId, r.runId).fetchHistory();
        const last = history.events?.at(-1)?.eventType;
        if (last == null || !CLOSING.has(last)) {
          throw new Error(
            `${r.caseName}: ${r.workflowId} is still open (last event ${last == null ? 'none' : EventType[last]}); a case records closed runs`,
          );
        }
        const texts = textsOf(history);
        const leaked = [stack.ctx.provenanceKey, ...NEVER_IN_A_HISTORY].find((s) => texts.some((t) => t.includes(s)));
        if (leaked)
          throw new Error(
            `${r.caseName}: the history of ${r.workflowId} holds text that must stay out of histories (${leaked === stack.ctx.provenanceKey ? 'the provenance key' : `"${leaked}"`})`,
          );
        const release = EARLIER_RELEASES.find((e) => r.caseName.endsWith(`.${e.suffix}`));
        if (release && patchIds(history).includes(release.patchId))
          throw new Error(`${r.caseName}: recorded with the ${release.patchId} marker, so not on the earlier release`);
        await Worker.runReplayHistory({ workflowBundle: stack.workflowBundle }, history, r.workflowId);
        const path = await writeCorpusHistory(history, r.caseName);
        console.log(`  wrote ${relative(process.cwd(), path)} (${history.events?.length ?? 0} events)`);
      }
      console.log(`  ${c.name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      failures += 1;
      console.error(
        `  ${c.workflow} ${c.name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
} finally {
  await stack.close();
}
if (failures > 0) {
  console.error(`${failures} case(s) failed; their histories were not written`);
  process.exit(1);
}
console.log(`recorded ${chosen.length} case(s)`);
process.exit(0);
