import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { WardenContext } from '../../../client/context';
import type { RecordingStack } from '../recording-stack';

/** One history to write: `<workflow type>/<caseName>.json` (the type is read from the history). */
export interface Recorded {
  caseName: string;
  workflowId: string;
  /** A run other than the latest (the first run of one that continued as new). */
  runId?: string;
}

/**
 * One path through a workflow, driven through Warden's client as a person or the chat path would
 * drive it. `record` returns once every workflow it names has closed (or was terminated on
 * purpose), so the written histories are complete.
 */
export interface ReplayCase {
  /** The workflow type the case is about (what `npm run replay:record -- <workflow>` selects). */
  workflow: string;
  name: string;
  record(stack: RecordingStack): Promise<Recorded[]>;
}

/** Polls `check` until `done` holds; the limit only bounds a broken run. */
export async function until<T>(
  check: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  limitMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached within ${limitMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(200);
  }
}

/** The error a call that must fail failed with (a case that expects a refusal says so). */
export async function refusal(work: Promise<unknown>, expected: RegExp): Promise<void> {
  const outcome = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  let text = outcome instanceof Error ? outcome.message : String(outcome);
  for (let c: unknown = outcome instanceof Error ? outcome.cause : undefined; c instanceof Error; c = c.cause)
    text += ` | ${c.message}`;
  if (outcome === undefined || !expected.test(text))
    throw new Error(`expected a refusal matching ${expected}, got ${outcome === undefined ? 'success' : text}`);
}

/** The workflows a visibility query finds, oldest first (for those the client starts under ids it does not return). */
export async function listed(ctx: WardenContext, query: string): Promise<WorkflowExecutionInfo[]> {
  const found: WorkflowExecutionInfo[] = [];
  for await (const w of ctx.temporal.workflow.list({ query })) found.push(w);
  return found.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

/** Waits for a workflow to close, whatever its outcome (a case records failed runs too). */
export async function closed(ctx: WardenContext, workflowId: string, runId?: string): Promise<void> {
  await ctx.temporal.workflow
    .getHandle(workflowId, runId)
    .result()
    .catch(() => undefined);
}
