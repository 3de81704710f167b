import type { ReviewStart } from '../delegation/review-start';
import type { NotificationEvent } from './events';

/**
 * review.opened for a review announced by whoever stored it (a review stored without its
 * workflow). Its id is derived from the review's, so a retried store, a second monitor pass or the
 * client and the monitor both announcing it start one delivery, not two; the workflow it names is
 * the one the review will run as (its id is the review's). The facts are the ones the review
 * workflow announces at its own start, so a receiver sees one shape whoever announced.
 */
export function reviewOpenedEvent(
  start: Pick<ReviewStart, 'reviewId' | 'abpId' | 'triggerId' | 'severity' | 'policy'>,
  openedAt: string,
): NotificationEvent {
  return {
    eventId: `evt_opened_${start.reviewId}`,
    type: 'review.opened',
    subject: start.reviewId,
    workflowId: start.reviewId,
    occurredAt: openedAt,
    facts: {
      abpId: start.abpId,
      triggerId: start.triggerId,
      severity: start.severity,
      threshold: start.policy.threshold,
    },
  };
}
