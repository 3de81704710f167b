import { findReview } from '../db/delegation/reviews';
import { hasSubscriberFor } from '../db/notifications/subscriptions';
import type { WardenContext } from './context';
import { startReviewOpenedDelivery } from './review-opened-delivery';

/**
 * review.opened of the parent_changed reviews a build stored on the children of the ABP it
 * replaced: stored without their workflow, they are announced by their storer, here, when a
 * subscription wants it (a build that replaces an ABP with children is rare: the reads are not
 * folded into the storing statement). The event id is the review's, so a second announcement finds
 * the first delivery.
 */
export async function announceChildReviews(ctx: WardenContext, reviewIds: readonly string[]): Promise<void> {
  if (reviewIds.length === 0 || !(await hasSubscriberFor(ctx.pool, 'review.opened'))) return;
  for (const reviewId of reviewIds) {
    const row = await findReview(ctx.pool, reviewId);
    if (row?.state === 'open' && !row.workflowStarted) await startReviewOpenedDelivery(ctx, row);
  }
}
