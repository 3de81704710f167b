import { msToNumber, type Duration } from '@temporalio/common';
import { z } from 'zod';

/**
 * Durations that become Temporal timers and database timestamps. Temporal refuses timers beyond
 * about a hundred years, and a deadline that far out is a typo, never a plan; the bound also keeps
 * `now + duration` a valid Date, `timestamptz` and `bigint` of milliseconds.
 */
export const MAX_TIMER_MS = 100 * 365 * 24 * 3600 * 1000;
export const MAX_TIMER_SECONDS = MAX_TIMER_MS / 1000;
const LIMIT_TEXT = 'at most 100 years';

/** Whole seconds in [min, 100 years]. */
export function timerSeconds(min = 1) {
  return z.int().min(min).max(MAX_TIMER_SECONDS, `must be ${LIMIT_TEXT} (${MAX_TIMER_SECONDS} seconds)`);
}

/** Whole milliseconds in [1, 100 years]. Refinements only, so exported JSON Schemas keep their shape. */
export function timerMilliseconds() {
  return z
    .int()
    .refine(
      (ms) => ms >= 1 && ms <= MAX_TIMER_MS,
      `must be between 1 and ${MAX_TIMER_MS} milliseconds (${LIMIT_TEXT})`,
    );
}

/** True when `ms` can be a timer: a whole number of milliseconds in [1, 100 years]. */
export function isTimerMs(ms: number): boolean {
  return Number.isInteger(ms) && ms >= 1 && ms <= MAX_TIMER_MS;
}

/** The refusal for a deadline pushed out too far (extensions add up). */
export function deadlineTooFar(deadlineMs: number, nowMs: number): string | undefined {
  return deadlineMs - nowMs > MAX_TIMER_MS ? `would put the deadline more than 100 years ahead` : undefined;
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
        ctx.addIssue({ code: 'custom', message: `must be ${LIMIT_TEXT}` });
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
