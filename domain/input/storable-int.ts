import { z } from 'zod';
import { INT4_MAX } from './int4-range';

export { INT4_MAX } from './int4-range';

/** A whole number in [min, INT4_MAX]. */
export function int4(min = 0) {
  return z.int().min(min).max(INT4_MAX, `must be at most ${INT4_MAX}`);
}
