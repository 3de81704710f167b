import { describe, expect, it } from 'vitest';
import { renderBenchmarks } from '../../../bench/report';
import { judge, type BenchmarkResult, type RunFile } from '../../../bench/result';
import { newestFullResults } from '../../../bench/results-file';
import { growthExponent, percentile, summarize } from '../../../bench/stats';

const machine = {
  cpus: 2,
  cpuModel: 'Synthetic CPU',
  memoryBytes: 4 * 1024 ** 3,
  freeMemoryBytes: 1024 ** 3,
  node: 'v20.19.0',
  os: 'Linux 6',
  loadAverage: [0.5, 0.4, 0.3],
};

function result(name: string, startedAt: string, p99Ratio: number, quick = false): BenchmarkResult {
  return {
    name,
    title: `Title of ${name}`,
    command: `npm run bench -- ${name}`,
    method: `Method of ${name}.`,
    limits: `Limited by the ${name} queue.`,
    quick,
    startedAt,
    durationMs: 12_000,
    loadAtStart: [0.5, 0.4, 0.3],
    parameters: { requests: 2000 },
    figures: [
      { key: 'p99_ratio', label: 'p99 ratio', value: p99Ratio, unit: '×', target: { op: '<=', value: 1.05 } },
      { key: 'rate', label: 'rate', value: 250, unit: '/s', target: { op: '>=', value: 200 } },
      { key: 'p50', label: 'p50', value: 12.5, unit: 'ms' },
    ],
    samples: { latency_ms: [1, 2, 3] },
    notes: [`note of ${name}`],
  };
}

const run = (startedAt: string, results: BenchmarkResult[], quick = false): RunFile => ({
  startedAt,
  finishedAt: startedAt,
  quick,
  database: 'embedded',
  machine,
  loadAtEnd: [0.6, 0.5, 0.4],
  results,
});

describe('benchmark statistics', () => {
  it('takes nearest-rank percentiles, always one of the samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7, 3, 5], 50)).toBe(5);
    expect(() => percentile([], 50)).toThrow(/no samples/);
  });

  it('summarises samples and measures growth against size', () => {
    expect(summarize([3, 1, 2, 10])).toEqual({ n: 4, min: 1, p50: 2, p99: 10, max: 10, mean: 4 });
    expect(growthExponent(10_000, 2, 1_000_000, 200)).toBeCloseTo(1);
    expect(growthExponent(10_000, 2, 1_000_000, 2)).toBeCloseTo(0);
    expect(growthExponent(100_000, 4, 1_000_000, 8)).toBeLessThan(1);
  });
});

describe('BENCHMARKS.md generator', () => {
  it('states each target, whether it is met, by how much a miss is, and what limits it', () => {
    const missed = result('live-path', '2026-11-22T05:20:00.000Z', 1.2);
    expect(judge(missed.figures[0]!)).toEqual({ met: false, miss: 'over by 0.15× (1.14×)' });
    expect(judge(missed.figures[1]!)).toEqual({ met: true, miss: '' });
    expect(judge(missed.figures[2]!)).toBeNull();
    const md = renderBenchmarks(
      run('2026-11-22T05:20:00.000Z', [missed, result('intake', '2026-11-22T05:30:00.000Z', 1.01)]),
    );
    expect(md).toMatch(/^# Benchmarks\n/);
    expect(md).toContain('Machine: 2 × Synthetic CPU, 4.0 GiB');
    expect(md).toContain('Command: `npm run bench -- live-path`');
    expect(md).toContain('| 1 | Title of live-path | p99 ratio | 1.2× | ≤ 1.05× | **missed**: over by 0.15× (1.14×) |');
    expect(md).toContain('| 2 | Title of intake | p99 ratio | 1.01× | ≤ 1.05× | **met** |');
    expect(md).toContain('| rate | 250 /s | ≥ 200 /s | **met** |');
    expect(md).toContain('| p50 | 12.5 ms | — | no target |');
    expect(md).toContain('**What limits it.** Limited by the live-path queue.');
    expect(md).toContain('**What bounds it.** Limited by the intake queue.');
    expect(md).toContain('- note of intake');
  });

  it('shows the newest full-size result of each benchmark and ignores smoke runs', () => {
    const runs = [
      run('2026-11-22T04:00:00.000Z', [
        result('live-path', '2026-11-22T04:00:00.000Z', 1.3),
        result('intake', '2026-11-22T04:01:00.000Z', 1.0),
      ]),
      run('2026-11-22T05:00:00.000Z', [result('live-path', '2026-11-22T05:00:00.000Z', 1.02)]),
      run('2026-11-22T05:10:00.000Z', [result('live-path', '2026-11-22T05:10:00.000Z', 9.9, true)], true),
    ];
    const merged = newestFullResults(runs, ['live-path', 'intake'])!;
    expect(merged.results.map((r) => [r.name, r.figures[0]!.value])).toEqual([
      ['live-path', 1.02],
      ['intake', 1.0],
    ]);
    expect(merged.startedAt).toBe('2026-11-22T04:00:00.000Z');
    expect(merged.runs?.map((r) => [r.startedAt, r.names])).toEqual([
      ['2026-11-22T04:00:00.000Z', ['intake']],
      ['2026-11-22T05:00:00.000Z', ['live-path']],
    ]);
    expect(renderBenchmarks(merged)).toMatch(
      /Merged from separate runs .*: 2026-11-22T04:00:00.000Z → \S+: intake; 2026-11-22T05:00:00.000Z → \S+: live-path\./,
    );
    expect(newestFullResults([runs[2]!], ['live-path'])).toBeNull();
  });
});
