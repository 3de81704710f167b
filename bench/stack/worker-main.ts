import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../../config/env';
import { resolveProvenanceKey } from '../../config/provenance-key';
import { createPool } from '../../db/pool';
import { createWardenWorker } from '../../worker/create-worker';

/**
 * A Warden worker in a process of its own, as in production, where the worker never shares the
 * event loop of the application calling the client. Configured by the environment like
 * `npm start`'s; the workflow bundle the benchmark already built is passed by path.
 */
const { values } = parseArgs({ options: { bundle: { type: 'string' } } });
Runtime.install({ logger: new DefaultLogger('WARN') });
const config = loadConfig();
const pool = createPool(config.databaseUrl, 16);
const { worker, connection } = await createWardenWorker({
  pool,
  config,
  provenanceKey: await resolveProvenanceKey(config),
  taskQueue: config.temporal.taskQueue,
  ...(values.bundle ? { workflowBundle: { codePath: values.bundle } } : {}),
  overrides: { shutdownGraceTime: '1s' },
});
// BENCH_CPU_PROFILE_DIR (bench/tools/intake-cost.ts): a V8 CPU profile of this process, written when it stops.
const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
const profiler = profileDir ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const running = worker.run();
process.stdout.write(`ready ${config.temporal.taskQueue}\n`);
const stop = () => worker.shutdown();
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// BENCH_WORKER_CPU_PROF=<file>: SIGWINCH (the SDK's Runtime takes SIGUSR2 as a shutdown) starts a V8 CPU profile of this process's main thread (the
// SDK's handling of every task and the activities), the next SIGWINCH writes it, so a tool can
// profile just the phase it measures (the workflow code runs on a thread of its own, not in it).
const profileTo = process.env.BENCH_WORKER_CPU_PROF;
if (profileTo) {
  let phaseProfiler: Session | undefined;
  process.on('SIGWINCH', () => {
    void (async () => {
      if (!phaseProfiler) {
        phaseProfiler = new Session();
        phaseProfiler.connect();
        await phaseProfiler.post('Profiler.enable');
        await phaseProfiler.post('Profiler.start');
        return;
      }
      const { profile } = await phaseProfiler.post('Profiler.stop');
      writeFileSync(profileTo, JSON.stringify(profile));
      phaseProfiler.disconnect();
      phaseProfiler = undefined;
    })();
  });
}
await running;
if (profiler)
  writeFileSync(join(profileDir!, 'worker.cpuprofile'), JSON.stringify((await profiler.post('Profiler.stop')).profile));
await connection.close();
await pool.end();
