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
  /**
   * When the review was opened (its row's opened_at, ISO 8601), for a review whose workflow starts
   * after it was stored: its deadline then counts from here, not from the workflow's start.
   * Absent (every start so far): the deadline counts from the workflow's start, as it always did.
   */
  openedAt?: string;
  /**
   * True when whoever stored the review already announced review.opened (a review stored without
   * its workflow): the review announces nothing at its start. Absent: it announces as it always did.
   */
  openedAnnounced?: boolean;
}
