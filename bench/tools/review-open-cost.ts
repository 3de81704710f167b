// What one review opening costs, process by process:
//   node bin/run.js bench/tools/review-open-cost.ts [reviews] [concurrency] [--worker-in-child]
// [--refresh-search-attributes]
// [--profile <file.cpuprofile>] [--worker-profile <file.cpuprofile>] (default 300 reviews at 8). Builds one ABP per review, then opens them all (`openReview` on
// DRT-002) and reports CPU per opening of this process (the client, and the worker unless it runs
// in a child), of each child process (the database, the Temporal dev server, the worker), read from
// /proc/<pid>/stat, and the SQL statements per opening of this process. CPU time per operation,
// not wall-clock rates, is what a shared, loaded machine leaves comparable between two runs.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { buildAbpFromSpec } from '../../client/delegation';
import { openReview } from '../../client/delegation-reviews';
import { addPrincipal } from '../../db/access/principals';
import { demoAbpSpec } from '../../demo/delegation-abp';
import type { Abp } from '../../domain/delegation/schema';
import { freePort } from '../../toolchain/child-process';
import { closedLoop } from '../load';
import { processCpuMs } from '../process-cpu';
import { counterDelta, descendants, serverCounters, threadsOf, untilTasksSettle } from '../process-tree';
import { withLocalStack } from '../stack/local-stack';
import { StatementTally } from '../statement-tally';
import { measureCpu } from '../thread-cpu';

const [reviews, concurrency] = [Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 8)];
const workerInChildProcess = process.argv.includes('--worker-in-child');
/**
 * `--refresh-search-attributes`: the dev server reads its search attributes on every request, as the
 * CLI's default does (local-stack.ts otherwise passes DEV_SERVER_CACHES_SEARCH_ATTRIBUTES).
 */
const temporalExtraArgs = process.argv.includes('--refresh-search-attributes')
  ? ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=true']
  : [];
const SETTLE_MS = 5000;
/** `--profile <file>`: a V8 CPU profile of this process's main thread over the openings. */
const profileTo = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;
/** `--worker-profile <file>` (with --worker-in-child): the same of the worker process's main thread. */
const workerProfileTo = process.argv.includes('--worker-profile')
  ? process.argv[process.argv.indexOf('--worker-profile') + 1]
  : undefined;

const statements = new StatementTally();
const stackEnv = workerProfileTo ? { BENCH_WORKER_CPU_PROF: workerProfileTo } : undefined;
const metricsPort = await freePort();
const stackOptions = {
  poolSize: 16,
  workerInChildProcess,
  temporalExtraArgs,
  env: stackEnv,
  temporalMetricsPort: metricsPort,
};
await withLocalStack({ ...stackOptions, log: (l) => console.error(l) }, async ({ ctx }) => {
  await addPrincipal(ctx.pool, 'cost-reviewer', ['Reviewer']);
  await addPrincipal(ctx.pool, 'cost-admin', ['admin']);
  const spec = demoAbpSpec();
  const abps: Abp[] = [];
  await closedLoop(reviews, concurrency, async (i) => {
    abps[i] = (
      await buildAbpFromSpec(ctx, { ...spec, scope: { ...spec.scope, contract_id: `CTR-cost-${i}` } }, 'cost-admin')
    ).abp;
  });
  // Settle: the builds' evaluations and announcements finish before the measured phase.
  await new Promise((r) => setTimeout(r, 3000));
  const children = descendants();
  // What each process spends idle (pollers, timers) over a quiet spell, subtracted below at that
  // rate over the measured phase's length so that it is not counted as the openings'.
  const idle0 = new Map([...children.keys()].map((pid) => [pid, processCpuMs(pid)]));
  const idleSelf = measureCpu();
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const idleSelfMs = idleSelf.stop().processMs;
  const idle = new Map([...children.keys()].map((pid) => [pid, processCpuMs(pid) - idle0.get(pid)!]));
  const before = new Map([...children.keys()].map((pid) => [pid, processCpuMs(pid)]));
  const threadsBefore = new Map([...children.keys()].map((pid) => [pid, threadsOf(pid)]));
  const cpu = measureCpu();
  const t0 = performance.now();
  const profiler = profileTo ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const workerPid = [...children].find(([, name]) => name.includes('worker-main'))?.[0];
  if (workerProfileTo && workerPid) process.kill(workerPid, 'SIGWINCH');
  const metricsBefore = await serverCounters(metricsPort);
  statements.enter('open');
  const reviewIds: string[] = [];
  const opened = await closedLoop(reviews, concurrency, async (i) => {
    reviewIds[i] = (await openReview(ctx, abps[i]!.abp_id, 'DRT-002', 'cost-reviewer')).reviewId;
  });
  statements.enter('');
  // Anything an opening left to Temporal (a review.opened delivery when subscribed) finishes here.
  await untilTasksSettle(metricsPort);
  const self = cpu.stop();
  const idleShare = (performance.now() - t0) / SETTLE_MS;
  const metricsAfter = await serverCounters(metricsPort);
  if (profiler) writeFileSync(profileTo!, JSON.stringify((await profiler.post('Profiler.stop')).profile));
  if (workerProfileTo && workerPid) {
    process.kill(workerPid, 'SIGWINCH');
    await new Promise((r) => setTimeout(r, 2000));
  }
  const per = (ms: number) => Number((ms / reviews).toFixed(2));
  const rows = [
    {
      process: 'this (client' + (workerInChildProcess ? ')' : ' + worker)'),
      msPerOpen: per(self.processMs - idleSelfMs * idleShare),
    },
    { process: '  main thread', msPerOpen: per(self.mainMs) },
    ...self.topOthersMs.map((ms, i) => ({ process: `  other thread #${i + 1}`, msPerOpen: per(ms) })),
    ...[...children].map(([pid, name]) => ({
      process: `${name} (${pid})`,
      msPerOpen: per(processCpuMs(pid) - before.get(pid)! - idle.get(pid)! * idleShare),
    })),
  ];
  console.table(rows);
  // Where each child's time went, by thread name (idle not subtracted: compare runs, not totals).
  for (const [pid, name] of children) {
    const was = threadsBefore.get(pid)!;
    const spent = [...threadsOf(pid)]
      .map(([thread, ms]) => [thread, per(ms - (was.get(thread) ?? 0))] as const)
      .filter(([, ms]) => ms > 0.05)
      .sort((a, b) => b[1] - a[1]);
    if (spent.length > 0) console.log(`${name}: ${spent.map(([t, ms]) => `${t} ${ms}`).join(', ')}`);
  }
  // What Temporal records per opening: the last review's history so far (its events by type); an
  // opened review is dormant (no workflow until its first vote or its deadline): none.
  const events = await ctx.temporal.workflow
    .getHandle(reviewIds.at(-1)!)
    .fetchHistory()
    .then((h) => h.events ?? [])
    .catch(() => []);
  const eventTypes = events.map((e) => {
    const type = String(e.eventType ?? '');
    const marker = e.markerRecordedEventAttributes?.markerName;
    return marker ? `${type}(${marker})` : type;
  });
  console.log(
    JSON.stringify(
      {
        reviews,
        historyOfOne: eventTypes,
        serverPerOpen: counterDelta(metricsBefore, metricsAfter, reviews),
        concurrency,
        wallS: opened.wallMs / 1000,
        statementsPerOpen: statements.total('open') / reviews,
        top: statements.top('open', 15),
      },
      null,
      1,
    ),
  );
});
