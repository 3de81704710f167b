import { z } from 'zod';

/**
 * A look-back window in whole days (`now - make_interval(days => n)` in SQL). A hundred years
 * covers any evidence Warden keeps; beyond a few million days the subtraction leaves the range
 * PostgreSQL's timestamps can hold, and the column is an int4 anyway.
 */
export const MAX_LOOKBACK_DAYS = 36_525;

export function lookbackDays() {
  return z.int().min(1).max(MAX_LOOKBACK_DAYS, `must be at most ${MAX_LOOKBACK_DAYS} days (100 years)`);
}

export function isLookbackDays(value: unknown): value is number {
  return lookbackDays().safeParse(value).success;
}
