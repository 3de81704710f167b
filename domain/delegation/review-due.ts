import type { ReviewStart } from './review-start';

/**
 * How far ahead of its clock a monitor pass starts a dormant review (one stored without its
 * workflow): more than the monitor Schedule's interval (5 minutes, client/delegation.ts) plus a
 * pass's own duration, a pass the Schedule skipped (overlap SKIP) and the skew between the
 * database's clock (opened_at) and Temporal's, so that each review's own timer fires at its deadline.
 */
export const DUE_HORIZON_MS = 15 * 60_000;

/**
 * Whether a review just opened is due at once: its whole timeout fits in the horizon, so no pass
 * would start it before its deadline comes within reach. A review without a timeout never is.
 */
export function dueAtOpening(start: Pick<ReviewStart, 'policy'>): boolean {
  const timeout = start.policy.timeout_ms;
  return timeout !== null && timeout <= DUE_HORIZON_MS;
}
