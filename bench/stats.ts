/** Summary statistics of raw samples (latencies in ms, rates, byte counts: the unit is the caller's). */
export interface Summary {
  n: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The nearest-rank percentile: the smallest sample with at least p % of the samples at or below
 * it. Always one of the samples, so a p99 of 100 samples is the second largest, never an
 * interpolation between two measurements.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summary of no samples');
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const s of samples) {
    if (s < min) min = s;
    if (s > max) max = s;
    sum += s;
  }
  return {
    n: samples.length,
    min,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max,
    mean: sum / samples.length,
  };
}

/**
 * Growth exponent between two sizes: 1 is linear, 0 is flat. Sub-linear growth is an exponent
 * below 1 (time multiplied by less than the row count).
 */
export function growthExponent(sizeA: number, valueA: number, sizeB: number, valueB: number): number {
  if (sizeA <= 0 || sizeB <= 0 || sizeA === sizeB) throw new Error('growth needs two different positive sizes');
  return Math.log(Math.max(valueB, 1e-9) / Math.max(valueA, 1e-9)) / Math.log(sizeB / sizeA);
}

/**
 * A block bootstrap of a p99 ratio: `a[b]` and `b[b]` are the samples of two arms measured side by
 * side in block b (alternated, so the machine's drift hits both). Blocks are drawn with replacement,
 * both arms of a drawn block together, `resamples` times; the ratio p99(a) / p99(b) of each draw is
 * kept and its `low`..`high` percentiles returned. A fixed seed makes a run's interval reproducible.
 */
export function blockBootstrapP99Ratio(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
  { resamples = 1000, low = 5, high = 95, seed = 1 } = {},
): { low: number; high: number } {
  if (a.length !== b.length || a.length === 0) throw new Error('a block bootstrap needs the same blocks of both arms');
  let state = seed >>> 0;
  // mulberry32: a small, seeded generator (Math.random cannot be seeded).
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const drawnA: number[] = [];
    const drawnB: number[] = [];
    for (let k = 0; k < a.length; k++) {
      const block = Math.floor(next() * a.length);
      drawnA.push(...a[block]!);
      drawnB.push(...b[block]!);
    }
    ratios.push(percentile(drawnA, 99) / percentile(drawnB, 99));
  }
  return { low: percentile(ratios, low), high: percentile(ratios, high) };
}
