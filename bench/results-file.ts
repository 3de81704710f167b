import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchmarkResult, RunFile } from './result';

export const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

/** Writes the run (machine info, load, raw samples) to bench/results/<timestamp>.json. */
export async function writeRunFile(run: RunFile, dir = resultsDir): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${run.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(path, `${JSON.stringify(run, null, 1)}\n`);
  return path;
}

export async function readRunFiles(dir = resultsDir): Promise<RunFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const runs: RunFile[] = [];
  for (const n of names) {
    try {
      runs.push(JSON.parse(await readFile(join(dir, n), 'utf8')) as RunFile);
    } catch {
      // A run killed while writing leaves a torn file; the others still count.
    }
  }
  return runs;
}

/**
 * The newest full-size result of every benchmark, in `order`, with the machine and load of the
 * newest run that contributed: what BENCHMARKS.md shows when only some benchmarks were re-run.
 */
export function newestFullResults(runs: RunFile[], order: string[]): RunFile | null {
  const full = runs.filter((r) => !r.quick).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  if (full.length === 0) return null;
  const byName = new Map<string, BenchmarkResult>();
  for (const run of full) for (const r of run.results) byName.set(r.name, r);
  const newest = full[full.length - 1]!;
  const results = order.map((n) => byName.get(n)).filter((r): r is BenchmarkResult => r !== undefined);
  const contributing = full.filter((run) => run.results.some((r) => results.includes(r)));
  return {
    ...newest,
    startedAt: contributing[0]?.startedAt ?? newest.startedAt,
    results,
    runs: contributing.map((run) => ({
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      names: run.results.filter((r) => results.includes(r)).map((r) => r.name),
    })),
  };
}
