// What one workflow start and its first task cost on this machine's Temporal dev server, process by
// process, for the least a review could be (bench/tools/minimal/workflow.ts):
//   node bin/run.js bench/tools/workflow-start-cost.ts [workflows] [concurrency] (default 300 at 8)
// Starts them (search attributes and a summary as a review's start gives) with a worker of their own
// in a child process, without and then with one `patched` marker, and reports CPU per workflow of
// this process (the client), that worker and the dev server (/proc, idle rate subtracted), and the
// dev server's requests per workflow (its Prometheus counters). A floor for any design that starts
// one workflow per review: the review's own work comes on top.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AbpId, Severity, TriggerId, WardenKind, WardenState } from '../../domain/search-attributes';
import { freePort, spawnManaged, stopChild, waitForLine } from '../../toolchain/child-process';
import { closedLoop } from '../load';
import { processCpuMs } from '../process-cpu';
import { counterDelta, descendants, serverCounters, untilTasksSettle } from '../process-tree';
import { withLocalStack } from '../stack/local-stack';
import { measureCpu } from '../thread-cpu';

const [count, concurrency] = [Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 8)];
const SETTLE_MS = 5000;
const runner = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

const metricsPort = await freePort();
await withLocalStack(
  { workerInChildProcess: true, temporalMetricsPort: metricsPort, log: (l) => console.error(l) },
  async ({ ctx, env }) => {
    const taskQueue = `minimal-${randomBytes(4).toString('hex')}`;
    const worker = spawnManaged('minimal-worker', process.execPath, [runner, 'bench/tools/minimal/worker-main.ts'], {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    try {
      await waitForLine(worker, /^ready /, 120_000);
      const workerPid = worker.process.pid!;
      const server = [...descendants()].find(([, name]) => name.includes('start-dev'))![0];
      const pids = { 'minimal worker': workerPid, 'dev server': server };
      // Warm-up: the worker's bundle and first runs, then the idle rates over a quiet spell.
      await run(20, true);
      await new Promise((r) => setTimeout(r, 2000));
      const idle0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)]));
      const idleSelf = measureCpu();
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const idleSelfMs = idleSelf.stop().processMs;
      const idle = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid) - idle0[k]!]));
      for (const patch of [false, true]) {
        const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)]));
        const counters = await serverCounters(metricsPort);
        const self = measureCpu();
        const t0 = performance.now();
        const { wallMs } = await run(count, patch);
        await untilTasksSettle(metricsPort);
        // Idle CPU (pollers, timers) at the rate of the quiet spell, over this phase's length.
        const idleShare = (performance.now() - t0) / SETTLE_MS;
        const selfMs = self.stop().processMs - idleSelfMs * idleShare;
        const per = (ms: number) => Number((ms / count).toFixed(2));
        const row = {
          patch,
          wallS: wallMs / 1000,
          clientMs: per(selfMs),
          ...Object.fromEntries(
            Object.entries(pids).map(([k, pid]) => [
              `${k} ms`,
              per(processCpuMs(pid) - before[k]! - idle[k]! * idleShare),
            ]),
          ),
        };
        console.log(JSON.stringify(row));
        console.log(JSON.stringify(counterDelta(counters, await serverCounters(metricsPort), count)));
      }
    } finally {
      await stopChild(worker, 10_000);
    }

    function run(n: number, patch: boolean) {
      return closedLoop(n, concurrency, (i) =>
        ctx.temporal.workflow.start('minimalWorkflow', {
          taskQueue,
          workflowId: `minimal-${patch}-${i}-${randomBytes(3).toString('hex')}`,
          args: [{ patch }],
          typedSearchAttributes: [
            { key: WardenKind, value: 'review' },
            { key: WardenState, value: 'open' },
            { key: AbpId, value: `abp-${i}` },
            { key: TriggerId, value: 'DRT-002' },
            { key: Severity, value: 'warn' },
          ],
          staticSummary: `Minimal workflow ${i}: a review's start without the review`,
        }),
      );
    }
  },
);
