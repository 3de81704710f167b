import { Context } from '@temporalio/activity';
import type { ReviewStart } from '../../domain/delegation/review-start';
import { reviewOpenedEvent } from '../../domain/notifications/review-opened-event';
import { startOrFind } from '../../domain/temporal/start-or-find';
import { deliveryStartOptions, notificationDeliveryWorkflowRef } from '../../workflows/notifications/contract';

/** A review stored without its workflow, as its row or its start (with `openedAt`) names it. */
export type OpenedReview = Pick<ReviewStart, 'reviewId' | 'abpId' | 'triggerId' | 'severity' | 'policy'> & {
  openedAt?: string | null;
};

/** Announces review.opened for reviews an activity stored without their workflow. */
export type OpenedAnnouncer = (reviews: readonly OpenedReview[]) => Promise<void>;

/**
 * Starts the review.opened delivery of each review, on the activity's task queue, with the event id
 * derived from the review's: an activity retried after announcing, a second pass, or the review's
 * own workflow started later with `openedAnnounced` find the first delivery instead of a second.
 * The caller asks only when a subscription wanted review.opened as it stored the reviews.
 */
export const announceReviewsOpened: OpenedAnnouncer = async (reviews) => {
  if (reviews.length === 0) return;
  const { client, info } = Context.current();
  await Promise.all(
    reviews.map((review) =>
      startOrFind(() =>
        client.workflow.start(
          notificationDeliveryWorkflowRef,
          deliveryStartOptions(reviewOpenedEvent(review, review.openedAt ?? new Date().toISOString()), info.taskQueue),
        ),
      ),
    ),
  );
};
