// Where the live path's time goes with and without shadowing, and how much its p99 ratio moves:
//   node bin/run.js bench/tools/live-path-spread.ts [blocks=32] [perBlock=250] [runBlocks=8] [postgres] [out.json]
// The live-path benchmark's stack (bench/benchmarks/live-path.ts: stub, worker in a child process,
// PGlite in a child process unless `postgres`), its three modes alternated in rotated blocks as the
// benchmark does, but `none` and `shadowed` run chat's steps timed one by one (the kernel read, the
// model call, recordLiveExchange: chat minus its input parsing). Per mode it reports each phase's
// p50/p99, the CPU time per request of every process (from process.cpuUsage and /proc), the event
// loop's delay in this process, and the p99 ratio shadowed / none over all blocks and over each run
// of `runBlocks` consecutive blocks (what one benchmark run of that many blocks would have reported).
// `out.json` keeps every latency by mode and block.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { modelsOf, productionKernel, recordLiveExchange } from '../../client/endorsement';
import { CONCURRENCY, MODES, startLivePath, type Mode } from '../benchmarks/live-path';
import { closedLoop } from '../load';
import { childProcessIds, cpuMsOfEach } from '../process-cpu';
import { startEmbeddedDatabase, startRealDatabase } from '../stack/database';
import { percentile } from '../stats';

const blocks = Number(process.argv[2] ?? 32);
const perBlock = Number(process.argv[3] ?? 250);
const runBlocks = Number(process.argv[4] ?? 8);
const onPostgres = process.argv[5] === 'postgres';
const out = process.argv[6];
const database = onPostgres ? await startRealDatabase() : await startEmbeddedDatabase();
if (!database) throw new Error('no real PostgreSQL');
const { w, staged, plain, modes, prompt, stop } = await startLivePath(database, (l) => console.error(l));

const PHASES = ['kernel', 'model', 'record'] as const;
type Phase = (typeof PHASES)[number];
const phases: Record<Mode, Record<Phase, number[]>> = Object.fromEntries(
  MODES.map((m) => [m, { kernel: [], model: [], record: [] }]),
) as never;
const timed = (mode: Mode, agentId: string) => async (i: number) => {
  const t0 = performance.now();
  const kernel = await productionKernel(w, agentId);
  const t1 = performance.now();
  const models = modelsOf(w);
  const content = await models.reply(kernel.definition, prompt(i));
  const t2 = performance.now();
  await recordLiveExchange(w, kernel, { prompt: prompt(i), response: content, model: models.chatModel });
  const t3 = performance.now();
  phases[mode].kernel.push(t1 - t0);
  phases[mode].model.push(t2 - t1);
  phases[mode].record.push(t3 - t2);
};
const ops: Record<Mode, (i: number) => Promise<unknown>> = {
  none: timed('none', plain),
  shadowed: timed('shadowed', staged.agentId),
  inline: modes.inline,
};

const groups = {
  bench: [process.pid],
  worker: childProcessIds(/worker-main/),
  database: await database.processIds(),
  stub: childProcessIds(/model-stub/),
  temporal: childProcessIds(/temporal/),
};
type Group = keyof typeof groups;
const cpu: Record<Mode, Record<Group, number>> = Object.fromEntries(
  MODES.map((m) => [m, { bench: 0, worker: 0, database: 0, stub: 0, temporal: 0 }]),
) as never;
const latencies: Record<Mode, number[][]> = { none: [], shadowed: [], inline: [] };
const loopDelay: Record<Mode, number[]> = { none: [], shadowed: [], inline: [] };
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

try {
  for (const m of MODES) await closedLoop(50, CONCURRENCY, ops[m]);
  for (const m of MODES) for (const p of PHASES) phases[m][p].length = 0;
  for (let b = 0; b < blocks; b++) {
    const rotated = MODES.map((_, k) => MODES[(k + b) % MODES.length]!);
    for (const m of rotated) {
      const eld = monitorEventLoopDelay({ resolution: 10 });
      eld.enable();
      const own = ownCpu();
      const { result, cpuMs } = await cpuMsOfEach(groups, () => closedLoop(perBlock, CONCURRENCY, ops[m]));
      eld.disable();
      loopDelay[m].push(eld.max / 1e6);
      latencies[m].push(result.latencies);
      for (const g of Object.keys(groups) as Group[]) cpu[m][g] += g === 'bench' ? ownCpu() - own : (cpuMs[g] ?? 0);
    }
    console.error(`block ${b + 1}/${blocks} (load ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
  }
  const all = (m: Mode) => latencies[m].flat();
  const n = (m: Mode) => all(m).length;
  const f = (v: number) => v.toFixed(1);
  console.log(`${database.label}: ${blocks} blocks of ${perBlock} per mode, concurrency ${CONCURRENCY}`);
  for (const m of MODES) {
    const line = [`${m}: total p50 ${f(percentile(all(m), 50))} p99 ${f(percentile(all(m), 99))} ms`];
    if (m !== 'inline')
      for (const p of PHASES)
        line.push(`${p} p50 ${f(percentile(phases[m][p], 50))} p99 ${f(percentile(phases[m][p], 99))}`);
    console.log(line.join('; '));
    const perReq = (Object.keys(groups) as Group[]).map((g) => `${g} ${(cpu[m][g] / n(m)).toFixed(2)}`).join(', ');
    console.log(`  CPU ms per request: ${perReq}`);
    const eld = [...loopDelay[m]].sort((a, b) => a - b);
    console.log(`  event-loop delay max per block: median ${f(percentile(eld, 50))} ms, worst ${f(eld.at(-1)!)} ms`);
  }
  const ratio = (from: number, to: number) =>
    percentile(latencies.shadowed.slice(from, to).flat(), 99) / percentile(latencies.none.slice(from, to).flat(), 99);
  console.log(`p99 ratio shadowed / none over all ${n('none')} per mode: ${ratio(0, blocks).toFixed(3)}`);
  const runs: string[] = [];
  for (let s = 0; s + runBlocks <= blocks; s += runBlocks) runs.push(ratio(s, s + runBlocks).toFixed(3));
  console.log(`p99 ratio per run of ${runBlocks} blocks: ${runs.join(' ')}`);
  if (out) await (await import('node:fs/promises')).writeFile(out, JSON.stringify({ latencies, phases }));
  const pairs = latencies.none.map((_, b) => ratio(b, b + 1));
  console.log(
    `per-block p99 ratio: median ${percentile(pairs, 50).toFixed(3)}, ${pairs.filter((r) => r > 1).length}/${blocks} above 1`,
  );
} finally {
  await stop();
  await database.stop();
}
