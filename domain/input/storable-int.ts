import { z } from 'zod';

/** PostgreSQL `integer` (int4): counts, versions, attempts and day numbers are stored or bound as one. */
export const INT4_MAX = 2_147_483_647;

/** A whole number in [min, INT4_MAX]. */
export function int4(min = 0) {
  return z.int().min(min).max(INT4_MAX, `must be at most ${INT4_MAX}`);
}
