/**
 * CPU per recorded verdict of the action checks' one-round-trip flush (recordChecksAtHead), apart
 * from HTTP and the decision: `node bin/run.js bench/tools/check-flush-cost.ts [--flushes N] [--batch B]`.
 * Runs on PGlite in a child process (as `npm start` does), or on the server DATABASE_URL names
 * (a scratch database), and prints the CPU the client process and the database spent per check.
 * A change to the flush or to what a verdict's rows maintain is judged by this figure before and
 * after, measured in one sitting.
 */
import { parseArgs } from 'node:util';
import { checkedEntry } from '../../client/action-check';
import { recordChecksAtHead, type StampedCheck } from '../../db/delegation/action-checks';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { signEntriesAfter, type ProvenanceHead } from '../../db/provenance/log';
import { demoAbpSpec } from '../../demo/delegation-abp';
import { ActionSchema } from '../../domain/delegation/action';
import { buildAbp } from '../../domain/delegation/build';
import { checkAbpIdentity } from '../../domain/delegation/identity';
import { checkAction } from '../../domain/delegation/validators';
import { GENESIS_HASH } from '../../domain/non-workflow/provenance-entry-hash';
import { allowedRead } from '../fixtures';
import { processCpuMs } from '../process-cpu';
import { startDefaultDatabase } from '../stack/database';
import { summarize } from '../stats';

const { values } = parseArgs({
  options: {
    flushes: { type: 'string', default: '600' },
    batch: { type: 'string', default: '4' },
  },
});
const flushes = Number(values.flushes);
const batch = Number(values.batch);

const database = await startDefaultDatabase();
const pool = createPool(database.url, 4);
try {
  await migrate(pool);
  const abp = buildAbp(demoAbpSpec(), new Date().toISOString());
  const action = ActionSchema.parse(allowedRead(abp));
  const facts = {
    abp,
    currentHash: abp.hash,
    status: 'active' as const,
    exports: [],
    openDriftSignals: 0,
    now: Date.now(),
    identity: checkAbpIdentity(abp),
  };
  const verdict = checkAction(facts, action);
  if (verdict.decision !== 'allowed') throw new Error(`the fixture verdict is ${verdict.decision}`);
  let head: ProvenanceHead = { seq: 0, contentHash: GENESIS_HASH };
  let n = 0;
  const flush = async () => {
    const checks: StampedCheck[] = Array.from({ length: batch }, () => ({
      checkId: `${abp.abp_id}/flush-cost-${++n}`,
      abpId: abp.abp_id,
      abpHash: abp.hash,
      action,
      verdict,
      checkedAt: new Date(),
      stamps: { key: abp.abp_id, stamp: 1 },
      tokenId: null,
    }));
    const entries = signEntriesAfter('flush-cost-key', checks.map(checkedEntry), head);
    if (!(await recordChecksAtHead(pool, checks, entries, head))) throw new Error('the head moved');
    head = entries.at(-1)!;
  };
  for (let i = 0; i < 50; i++) await flush(); // warm-up: plans, caches, JIT
  const pids = await database.processIds();
  const dbBefore = pids.map(processCpuMs);
  const client = process.cpuUsage();
  const t0 = performance.now();
  const took: number[] = [];
  for (let i = 0; i < flushes; i++) {
    const f0 = performance.now();
    await flush();
    took.push(performance.now() - f0);
  }
  const wall = performance.now() - t0;
  const s = summarize(took);
  const spent = process.cpuUsage(client);
  const dbMs = pids.reduce((sum, pid, i) => sum + processCpuMs(pid) - dbBefore[i]!, 0);
  const checks = flushes * batch;
  const per = (ms: number) => `${(ms / checks).toFixed(3)} ms`;
  console.log(
    `${database.label}: ${checks} checks in ${flushes} flushes of ${batch}, ${(wall / flushes).toFixed(2)} ms a flush; ` +
      `per check: client ${per((spent.user + spent.system) / 1000)}, database ${per(dbMs)}; a flush's wall time ` +
      `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${Math.max(...took).toFixed(1)} ms`,
  );
} finally {
  await pool.end();
  await database.stop();
}
