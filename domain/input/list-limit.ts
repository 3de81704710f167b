import { z } from 'zod';

/** How many rows a listing returns, from a query string, a CLI flag or a number: 1 to `max`. */
export function listLimit(fallback: number, max = 1000) {
  return z.coerce
    .number({ error: 'a whole number' })
    .int('a whole number')
    .min(1, 'at least 1')
    .max(max, `at most ${max}`)
    .default(fallback);
}
