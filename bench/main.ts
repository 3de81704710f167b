import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchmarks } from './benchmarks/index';
import { machineInfo } from './machine';
import { renderBenchmarks } from './report';
import { formatTarget, formatValue, judge, type BenchmarkResult, type RunFile } from './result';
import { newestFullResults, readRunFiles, writeRunFile } from './results-file';
import { runAsChild, runInChild } from './runner';

/**
 * `npm run bench [-- <name>…] [--quick] [--report]`: runs the benchmarks of issue 7, each in a
 * child process on a local stack of its own, writes bench/results/<timestamp>.json and (full
 * runs only) regenerates BENCHMARKS.md.
 */
const benchmarksMd = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean' },
    report: { type: 'boolean' },
    child: { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = Boolean(values.quick) || ['1', 'true', 'yes'].includes(process.env.BENCH_QUICK ?? '');
const order = benchmarks.map((b) => b.name);

async function writeReport(): Promise<boolean> {
  const merged = newestFullResults(await readRunFiles(), order);
  if (!merged) return false;
  // Method and limits are prose kept with the code: the current wording, over the numbers of the newest run.
  const results = merged.results.map((r) => {
    const b = benchmarks.find((x) => x.name === r.name);
    return b ? { ...r, item: b.item, title: b.title, method: b.method, ...(b.limits ? { limits: b.limits } : {}) } : r;
  });
  await writeFile(benchmarksMd, renderBenchmarks({ ...merged, results }));
  return true;
}

function printResult(r: BenchmarkResult): void {
  console.log(`\n== ${r.name}: ${r.title} (${(r.durationMs / 1000).toFixed(0)} s)${r.error ? ' FAILED' : ''}`);
  for (const f of r.figures) {
    const v = judge(f);
    console.log(
      `   ${f.label}: ${formatValue(f.value, f.unit)}${f.target ? `  target ${formatTarget(f.target, f.unit)} ${v?.met ? 'met' : `MISSED ${v?.miss}`}` : ''}`,
    );
  }
  for (const n of r.notes) console.log(`   note: ${n}`);
}

if (values.child) {
  const b = benchmarks.find((x) => x.name === values.child);
  if (!b || !values.out) {
    console.error(`unknown benchmark ${values.child}`);
    process.exit(2);
  }
  await runAsChild(b, values.out, quick);
  // Native connections and child servers are closed; anything left must not hold the process.
  process.exit(0);
}

if (values.report) {
  if (!(await writeReport())) {
    console.error('no full-size results in bench/results/ yet: run `npm run bench` first');
    process.exit(1);
  }
  console.log(`wrote ${benchmarksMd}`);
  process.exit(0);
}

const unknown = positionals.filter((p) => !order.includes(p));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${order.join(', ')}`);
  process.exit(2);
}
// Opt-in benchmarks (the fleet: it needs the cluster build) run only when named.
const selected = benchmarks.filter((b) => (positionals.length === 0 ? !b.optIn : positionals.includes(b.name)));
const startedAt = new Date().toISOString();
const machine = machineInfo();
console.log(
  `bench: ${selected.map((b) => b.name).join(', ')}${quick ? ' (quick)' : ''}; load average ${machine.loadAverage.join(' / ')}`,
);
const results: BenchmarkResult[] = [];
for (const b of selected) {
  const r = await runInChild(b, quick);
  printResult(r);
  results.push(r);
}
const run: RunFile = {
  startedAt,
  finishedAt: new Date().toISOString(),
  quick,
  database: process.env.DATABASE_URL
    ? 'the server DATABASE_URL names (a scratch database per benchmark)'
    : 'embedded PGlite unless a benchmark says otherwise',
  machine,
  loadAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
  results,
};
console.log(`\nresults: ${await writeRunFile(run)}`);
if (!quick && (await writeReport())) console.log(`wrote ${benchmarksMd}`);
process.exit(results.some((r) => r.error) ? 1 : 0);
