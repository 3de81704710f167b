import { msToNumber, type Duration } from '@temporalio/common';
import { z } from 'zod';
import { MAX_TIMER_MS, MAX_TIMER_SECONDS, TIMER_LIMIT_TEXT, TIMER_SECONDS_TOO_LONG } from './timer-limits';

// The bounds and the zod-free checks live in timer-limits.ts (the workflows import them).
export { MAX_TIMER_MS, MAX_TIMER_SECONDS, deadlineTooFar, isTimerMs } from './timer-limits';

/** Whole seconds in [min, 100 years]. */
export function timerSeconds(min = 1) {
  return z.int().min(min).max(MAX_TIMER_SECONDS, TIMER_SECONDS_TOO_LONG);
}

/** Whole milliseconds in [1, 100 years]. Refinements only, so exported JSON Schemas keep their shape. */
export function timerMilliseconds() {
  return z
    .int()
    .refine(
      (ms) => ms >= 1 && ms <= MAX_TIMER_MS,
      `must be between 1 and ${MAX_TIMER_MS} milliseconds (${TIMER_LIMIT_TEXT})`,
    );
}

/**
 * A duration as people write it ("7 days", "36h", "90 minutes") or as milliseconds, converted to
 * milliseconds and bounded like every timer. Temporal's own parser reads the text, so what is
 * accepted here is exactly what a workflow timer accepts.
 */
export function timerDuration() {
  return z
    .union([z.string(), z.number()], { error: `a duration such as "7 days" or "36h"` })
    .transform((value, ctx) => {
      let ms: number;
      try {
        ms = msToNumber(value as Duration);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `not a duration (e.g. "7 days", "36h"): ${String(value).slice(0, 40)}`,
        });
        return z.NEVER;
      }
      if (!Number.isFinite(ms) || ms < 1) {
        ctx.addIssue({ code: 'custom', message: 'must be positive' });
        return z.NEVER;
      }
      if (ms > MAX_TIMER_MS) {
        ctx.addIssue({ code: 'custom', message: `must be ${TIMER_LIMIT_TEXT}` });
        return z.NEVER;
      }
      return Math.round(ms);
    });
}

/** setTimeout's own limit (a signed 32-bit count of milliseconds): beyond it Node fires at once. */
export const MAX_SET_TIMEOUT_MS = 2 ** 31 - 1;

/** How long a caller waits in this process (a setTimeout or a polling deadline): 0 to about 24.8 days. */
export function waitMilliseconds() {
  return z.int().min(0).max(MAX_SET_TIMEOUT_MS, `must be at most ${MAX_SET_TIMEOUT_MS} milliseconds`);
}
