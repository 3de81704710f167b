import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import type { ReviewStart } from '../../domain/delegation/review-start';
import { startOrFind } from '../../domain/temporal/start-or-find';
import { reviewSearchAttributes, reviewSummary } from './contract';

/**
 * Starts a review workflow for each open review that has none yet (abandoned on close: a review
 * outlives the workflow that started it), marking each started. By type name, so that the review
 * workflow itself can start reviews (of the children of an ABP it revoked or replaced).
 */
export async function startReviewWorkflows(
  reviews: readonly ReviewStart[],
  markStarted: (reviewId: string) => Promise<void>,
): Promise<string[]> {
  const started: string[] = [];
  for (const review of reviews) {
    const child = await startOrFind(() =>
      startChild('delegationReviewWorkflow', {
        workflowId: review.reviewId,
        args: [review],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: reviewSearchAttributes(review),
        staticSummary: reviewSummary(review),
      }),
    );
    if (child) started.push(review.reviewId);
    await markStarted(review.reviewId);
  }
  return started;
}

/** The patch id recorded in the histories of reviews that started their ABP's children's reviews. */
export const STARTS_CHILD_REVIEWS = 'review-starts-parent-changed-reviews';

/**
 * Asked only when an applied output opened parent_changed reviews, which no history from before
 * this patch contains: the marker keeps a replay of such a history on the same path.
 */
export function startsChildReviews(): boolean {
  return patched(STARTS_CHILD_REVIEWS);
}
