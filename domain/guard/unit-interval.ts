import { z } from 'zod';

export function unitInterval(what: string) {
  return z.number({ error: `${what} must be a number` }).refine((v) => Number.isFinite(v) && v >= 0 && v <= 1, {
    error: `${what} must be finite and in [0, 1]`,
  });
}

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
