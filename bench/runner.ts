import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCommand, type Benchmark, type BenchContext } from './benchmark';
import type { BenchmarkResult } from './result';

const runner = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);

/** Runs one benchmark in this process and describes the outcome (a failure is a result too). */
export async function executeBenchmark(b: Benchmark, quick: boolean): Promise<BenchmarkResult> {
  const ctx: BenchContext = {
    quick,
    size: (full, small) => (quick ? small : full),
    log: (line) => console.log(`[${b.name}] ${line}`),
  };
  const started = Date.now();
  const base = {
    name: b.name,
    item: b.item,
    title: b.title,
    command: benchCommand(b.name),
    method: b.method,
    ...(b.limits ? { limits: b.limits } : {}),
    quick,
    startedAt: new Date(started).toISOString(),
    loadAtStart: load(),
  };
  try {
    const outcome = await b.run(ctx);
    return { ...base, durationMs: Date.now() - started, ...outcome };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`[${b.name}] failed: ${message}`);
    return {
      ...base,
      durationMs: Date.now() - started,
      parameters: {},
      figures: [],
      samples: {},
      notes: [],
      error: message,
    };
  }
}

/** Child-process side: runs the benchmark and leaves its result in `out`. */
export async function runAsChild(b: Benchmark, out: string, quick: boolean): Promise<void> {
  const result = await executeBenchmark(b, quick);
  await writeFile(out, JSON.stringify(result));
}

/**
 * Each benchmark in a child process of its own: its stack, its memory peak (maxRSS) and any
 * crash stay its own.
 */
export async function runInChild(b: Benchmark, quick: boolean): Promise<BenchmarkResult> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-bench-result-'));
  const out = join(dir, 'result.json');
  const started = Date.now();
  try {
    const code = await new Promise<number | null>((resolve) => {
      // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each benchmark process (open it in Chrome DevTools).
      const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
      const child = spawn(
        process.execPath,
        [...profile, runner, 'bench/main.ts', '--child', b.name, '--out', out, ...(quick ? ['--quick'] : [])],
        { stdio: 'inherit' },
      );
      child.on('exit', (c) => resolve(c));
      child.on('error', () => resolve(-1));
    });
    try {
      return JSON.parse(await readFile(out, 'utf8')) as BenchmarkResult;
    } catch {
      return {
        name: b.name,
        item: b.item,
        title: b.title,
        command: benchCommand(b.name),
        method: b.method,
        quick,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        loadAtStart: load(),
        parameters: {},
        figures: [],
        samples: {},
        notes: [],
        error: `benchmark process exited with code ${code} and no result`,
      };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
