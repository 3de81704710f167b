/**
 * CPU per action check over HTTP, per process, in alternating rounds on one stack:
 * `node bin/run.js bench/tools/check-http-cost.ts [--requests N] [--rounds R] [--concurrency C] [--variants a,b]`.
 * PGlite in a child process (as `npm start` and the benchmark run it), or the server DATABASE_URL
 * names; the API in this process, the load generator in a child (bench/http-load.ts). Before each
 * round `WARDEN_CHECK_VARIANT` is set to the next of `--variants` (for an A/B switch read at run
 * time while a change is judged), so both sides are measured alternately in one sitting. Prints,
 * per round, checks/s and the CPU per check of the API, the database and the load generator.
 */
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createApiServer } from '../../api/server';
import { allowedRead, checkableAbp } from '../fixtures';
import { httpLoadInChild } from '../http-load';
import { cpuMsOf } from '../process-cpu';
import { startDefaultDatabase } from '../stack/database';
import { withLocalStack } from '../stack/local-stack';
import { summarize } from '../stats';
import type { WardenContext } from '../../client/context';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Idle CPU time of the whole machine so far (ms, all cores), from /proc/stat (idle + iowait). */
const machineIdleMs = () => {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return (cpu[3]! + cpu[4]!) * 10;
};

const flushCount = async (w: WardenContext, abpId: string) =>
  (
    await w.pool.query<{ n: number }>(
      `SELECT count(DISTINCT recorded_at)::int AS n FROM provenance_log WHERE kind = 'action.checked' AND subject = $1`,
      [`abp:${abpId}`],
    )
  ).rows[0]!.n;

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '8' },
    variants: { type: 'string', default: 'a' },
    profile: { type: 'string' },
    generator: { type: 'string', default: 'node-http' },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const variants = values.variants!.split(',');

await withLocalStack(
  { poolSize: 16, database: await startDefaultDatabase(), workerInChildProcess: true },
  async (stack) => {
    const w = stack.ctx;
    const { abp, token } = await checkableAbp(w, 'CTR-check-http-cost', 'check-http-cost');
    const server = createApiServer(w);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const load = {
        url: `http://127.0.0.1:${port}/api/v1/abps/${abp.abp_id}/actions/check`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(allowedRead(abp)),
        expect: '"decision":\\s*"allowed"',
        concurrency,
        generator: values.generator as 'node-http' | 'raw',
      };
      const dbPids = await stack.database.processIds();
      await httpLoadInChild({ ...load, warmup: 0, requests: 3000 });
      for (let round = 0; round < Number(values.rounds); round++) {
        const variant = variants[round % variants.length]!;
        process.env.WARDEN_CHECK_VARIANT = variant;
        await httpLoadInChild({ ...load, warmup: 0, requests: 200 });
        const flushesBefore = await flushCount(w, abp.abp_id);
        const idle0 = machineIdleMs();
        const profiling = values.profile && round === Number(values.rounds) - 1 ? new Session() : null;
        if (profiling) {
          profiling.connect();
          await profiling.post('Profiler.enable');
          await profiling.post('Profiler.start');
        }
        const monoStart = process.hrtime.bigint() / 1000n;
        const api = process.cpuUsage();
        // `--variants a:raw,b` also names the generator per variant (after the colon).
        const generator = (variant.split(':')[1] ?? load.generator) as 'node-http' | 'raw';
        const { result: r, cpuMs: dbMs } = await cpuMsOf(dbPids, () =>
          httpLoadInChild({ ...load, generator, warmup: 0, requests }),
        );
        const apiSpent = process.cpuUsage(api);
        console.log(`monotonic ${monoStart}..${process.hrtime.bigint() / 1000n}`);
        if (profiling) {
          const { profile } = await profiling.post('Profiler.stop');
          writeFileSync(values.profile!, JSON.stringify(profile));
          profiling.disconnect();
        }
        const s = summarize(r.latencies);
        const idle = (machineIdleMs() - idle0) / r.wallMs;
        const flushes = (await flushCount(w, abp.abp_id)) - flushesBefore;
        const per = (ms: number | null) => (ms === null ? 'n/a' : (ms / requests).toFixed(3));
        console.log(
          `${new Date().toISOString().slice(11, 19)} load ${loadavg()[0]!.toFixed(1)} variant ${variant}: ` +
            `${((requests / r.wallMs) * 1000).toFixed(0)}/s p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} ms; ` +
            `CPU ms/check API ${per((apiSpent.user + apiSpent.system) / 1000)} db ${per(dbMs)} gen ${per(r.cpuMs)}; ` +
            `${(requests / flushes).toFixed(2)} checks a flush; machine idle ${idle.toFixed(2)} cores`,
        );
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  },
);
