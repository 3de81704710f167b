/**
 * The bounds of durations that become Temporal timers and database timestamps, without zod: the
 * workflows check against them, and every workflow run evaluates the modules it imports afresh
 * (the SDK gives each run a module cache of its own). Temporal refuses timers beyond about a
 * hundred years, and a deadline that far out is a typo, never a plan; the bound also keeps
 * `now + duration` a valid Date, `timestamptz` and `bigint` of milliseconds. The zod schemas that
 * read them at the boundary are in timer-duration.ts.
 */
export const MAX_TIMER_MS = 100 * 365 * 24 * 3600 * 1000;
export const MAX_TIMER_SECONDS = MAX_TIMER_MS / 1000;
export const TIMER_LIMIT_TEXT = 'at most 100 years';
/** The refusal of a whole number of seconds beyond the bound (timerSeconds' own words). */
export const TIMER_SECONDS_TOO_LONG = `must be ${TIMER_LIMIT_TEXT} (${MAX_TIMER_SECONDS} seconds)`;

/** True when `ms` can be a timer: a whole number of milliseconds in [1, 100 years]. */
export function isTimerMs(ms: number): boolean {
  return Number.isInteger(ms) && ms >= 1 && ms <= MAX_TIMER_MS;
}

/** The refusal for a deadline pushed out too far (extensions add up). */
export function deadlineTooFar(deadlineMs: number, nowMs: number): string | undefined {
  return deadlineMs - nowMs > MAX_TIMER_MS ? `would put the deadline more than 100 years ahead` : undefined;
}

/**
 * Why `value` is not whole seconds in [min, 100 years], in the words of timerSeconds(min)'s first
 * issue (a unit test holds the two to the same words), or null when it is.
 */
export function timerSecondsIssue(value: unknown, min = 1): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const received =
      value === null
        ? 'null'
        : Array.isArray(value)
          ? 'array'
          : typeof value === 'number'
            ? String(value)
            : typeof value;
    return `Invalid input: expected number, received ${received}`;
  }
  if (!Number.isInteger(value)) return 'Invalid input: expected int, received number';
  if (value > Number.MAX_SAFE_INTEGER) return `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`;
  if (value < Number.MIN_SAFE_INTEGER) return `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`;
  if (value < min) return `Too small: expected number to be >=${min}`;
  if (value > MAX_TIMER_SECONDS) return TIMER_SECONDS_TOO_LONG;
  return null;
}
