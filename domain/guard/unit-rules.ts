// Numbers in [0, 1] (thresholds, scores, risks), without zod: the proposal workflow reads and
// compares them, and every workflow run evaluates the modules it imports afresh.

export const isUnit = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;
export const notANumber = (what: string) => `${what} must be a number`;
export const notInUnitInterval = (what: string) => `${what} must be finite and in [0, 1]`;

// Differences of decimal inputs carry binary noise (0.4 - 0.3 = 0.10000000000000003).
// Gate comparisons and reported risks use the difference rounded to 12 decimals, so an
// interval exactly as wide as the limit passes, which the original's raw float compare
// sometimes refused.
export function decimalDifference(a: number, b: number): number {
  return Math.round((a - b) * 1e12) / 1e12;
}

export function clampUnit(value: number): number {
  return Math.max(0, Math.min(1, value));
}
