// What one workflow start and its first task cost on this machine's Temporal dev server, process by
// process, for the least a review could be (bench/tools/minimal/workflow.ts):
//   node bin/run.js bench/tools/workflow-start-cost.ts [workflows] [concurrency] [--eager]
// (default 300 at 8). Starts them (search attributes and a summary as a review's start gives) with a
// worker of their own in a child process, without and then with one `patched` marker, and reports
// CPU per workflow of this process (the client), that worker and the dev server (/proc, idle rate
// subtracted), and the dev server's requests per workflow (its Prometheus counters). A floor for any
// design that starts one workflow per review: the review's own work comes on top.
// `--dynamic-config KEY=VALUE` (repeatable) passes a dynamic configuration value to the dev server.
// `--eager`: the worker runs in this process on the client's NativeConnection (as `npm start`'s role
// `all` does) and the phases alternate without and with `requestEagerStart` (twice each), so the
// client row is client and worker together.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { AbpId, Severity, TriggerId, WardenKind, WardenState } from '../../domain/search-attributes';
import { freePort, spawnManaged, stopChild, waitForLine } from '../../toolchain/child-process';
import { closedLoop } from '../load';
import { processCpuMs } from '../process-cpu';
import { counterDelta, descendants, serverCounters, untilTasksSettle } from '../process-tree';
import { withLocalStack } from '../stack/local-stack';
import { measureCpu } from '../thread-cpu';

const [count, concurrency] = [Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 8)];
const eagerPairs = process.argv.includes('--eager');
const dynamicConfig = process.argv.flatMap((a, i) =>
  a === '--dynamic-config' ? ['--dynamic-config-value', process.argv[i + 1]!] : [],
);
/** Eager starts the server answered without the first task (no slot free, or eager start off). */
let notEager = 0;
const SETTLE_MS = 5000;
const runner = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

const metricsPort = await freePort();
await withLocalStack(
  {
    workerInChildProcess: true,
    temporalMetricsPort: metricsPort,
    temporalExtraArgs: dynamicConfig,
    log: (l) => console.error(l),
  },
  async ({ ctx, env }) => {
    const taskQueue = `minimal-${randomBytes(4).toString('hex')}`;
    if (eagerPairs) return eagerCost(taskQueue, env.nativeConnection, env.namespace ?? 'default');
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

    function run(n: number, patch: boolean, client = ctx.temporal, eager = false) {
      return closedLoop(n, concurrency, async (i) => {
        const started = await client.workflow.start('minimalWorkflow', {
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
          requestEagerStart: eager,
        });
        if (eager && !started.eagerlyStarted) notEager++;
      });
    }

    async function eagerCost(queue: string, connection: typeof env.nativeConnection, namespace: string) {
      const client = new Client({ connection, namespace });
      const worker = await Worker.create({
        connection,
        namespace,
        taskQueue: queue,
        workflowsPath: fileURLToPath(new URL('./minimal/workflow.ts', import.meta.url)),
        shutdownGraceTime: '1s',
      });
      const running = worker.run();
      try {
        const server = [...descendants()].find(([, name]) => name.includes('start-dev'))![0];
        const runOn = (n: number, eager: boolean) => run(n, false, client, eager);
        await runOn(20, false);
        await runOn(20, true);
        await untilTasksSettle(metricsPort);
        const idleServer0 = processCpuMs(server);
        const idleSelf = measureCpu();
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const idleSelfMs = idleSelf.stop().processMs;
        const idleServer = processCpuMs(server) - idleServer0;
        for (const eager of [false, true, false, true]) {
          notEager = 0;
          const serverBefore = processCpuMs(server);
          const counters = await serverCounters(metricsPort);
          const self = measureCpu();
          const t0 = performance.now();
          const { wallMs } = await runOn(count, eager);
          await untilTasksSettle(metricsPort);
          const idleShare = (performance.now() - t0) / SETTLE_MS;
          const per = (ms: number) => Number((ms / count).toFixed(2));
          const row = {
            eager,
            notEagerlyStarted: notEager,
            wallS: wallMs / 1000,
            'client + worker ms': per(self.stop().processMs - idleSelfMs * idleShare),
            'dev server ms': per(processCpuMs(server) - serverBefore - idleServer * idleShare),
          };
          console.log(JSON.stringify(row));
          console.log(JSON.stringify(counterDelta(counters, await serverCounters(metricsPort), count)));
        }
      } finally {
        worker.shutdown();
        await running;
      }
    }
  },
);
