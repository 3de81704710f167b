import type { MachineInfo } from './machine';

/** A figure's goal: the value must be at most (≤), at least (≥) or below (<) `value`. */
export interface Target {
  op: '<=' | '>=' | '<';
  value: number;
}

export interface Figure {
  /** Stable key, e.g. `p99_ratio`. */
  key: string;
  label: string;
  value: number | null;
  unit: string;
  target?: Target;
}

/** What one benchmark measured; also the shape a child process hands back to the runner. */
export interface BenchmarkResult {
  name: string;
  /** The item of issue 7 it measures (1–7). */
  item?: number;
  title: string;
  command: string;
  method: string;
  /** What bounds the figures, from profiling (CPU profiles, EXPLAIN ANALYZE, history sizes). */
  limits?: string;
  quick: boolean;
  startedAt: string;
  durationMs: number;
  /** Load average (1, 5, 15 min) when this benchmark started. */
  loadAtStart: number[];
  parameters: Record<string, unknown>;
  figures: Figure[];
  /** Raw samples by series name (latencies in ms unless the series name says otherwise). */
  samples: Record<string, number[]>;
  notes: string[];
  /** Kept in the results file only (query plans, per-run detail): too long for BENCHMARKS.md. */
  details?: Record<string, unknown>;
  error?: string;
}

export interface RunFile {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  database: string;
  machine: MachineInfo;
  loadAtEnd: number[];
  results: BenchmarkResult[];
  /** When the report merges runs: each contributing run and the benchmarks taken from it, oldest first. */
  runs?: { startedAt: string; finishedAt: string; names: string[] }[];
}

export interface Verdict {
  met: boolean;
  /** How far from the target, in the figure's unit and as a factor; empty when met. */
  miss: string;
}

export function judge(figure: Figure): Verdict | null {
  const t = figure.target;
  if (!t) return null;
  if (figure.value === null || !Number.isFinite(figure.value)) return { met: false, miss: 'not measured' };
  const v = figure.value;
  const met = t.op === '<=' ? v <= t.value : t.op === '>=' ? v >= t.value : v < t.value;
  if (met) return { met, miss: '' };
  const delta = Math.abs(v - t.value);
  const factor = t.value !== 0 ? (t.op === '>=' ? t.value / Math.max(v, 1e-12) : v / t.value) : Infinity;
  return {
    met,
    miss: `${t.op === '>=' ? 'short' : 'over'} by ${formatValue(delta, figure.unit)} (${factor.toFixed(2)}×)`,
  };
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit === '' || unit === '×' ? `${text}${unit}` : `${text} ${unit}`;
}

export function formatTarget(target: Target | undefined, unit: string): string {
  if (!target) return '—';
  const op = target.op === '<=' ? '≤' : target.op === '>=' ? '≥' : '<';
  return `${op} ${formatValue(target.value, unit)}`;
}
