import type { ReviewPolicy } from './schema';

/** What a review workflow is started with: ids and the policy, never document text. */
export interface ReviewStart {
  reviewId: string;
  abpId: string;
  abpHash: string;
  triggerId: string;
  triggerName: string;
  severity: 'warn' | 'critical';
  policy: ReviewPolicy;
  openedBy: string;
  /**
   * Whether a webhook subscription wanted review.opened when the review was stored (read by the
   * storing statement). False: the review announces nothing at its opening, with no local activity
   * to find that out. Absent (starters that did not read it): the review asks, as it always did.
   */
  openedSubscribed?: boolean;
}
