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
