import type { ReviewStart } from '../domain/delegation/review-start';
import { reviewOpenedEvent } from '../domain/notifications/review-opened-event';
import { startOrFind } from '../domain/temporal/start-or-find';
import { deliveryStartOptions, notificationDeliveryWorkflowRef } from '../workflows/notifications/contract';
import type { WardenContext } from './context';

/**
 * Starts the review.opened delivery of a review the client stored without its workflow (its storer
 * announces it; the workflow, when it starts, announces nothing: `openedAnnounced`). The event id is
 * the review's (reviewOpenedEvent), so a second start (a retried opening, the monitor, another
 * client) finds the first delivery. The caller asks only when a subscription wants review.opened.
 */
export async function startReviewOpenedDelivery(
  ctx: WardenContext,
  review: Pick<ReviewStart, 'reviewId' | 'abpId' | 'triggerId' | 'severity' | 'policy'> & { openedAt?: string | null },
): Promise<void> {
  const event = reviewOpenedEvent(review, review.openedAt ?? new Date().toISOString());
  await startOrFind(() =>
    ctx.temporal.workflow.start(notificationDeliveryWorkflowRef, deliveryStartOptions(event, ctx.taskQueue)),
  );
}
