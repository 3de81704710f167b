import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import type { ReviewStart } from '../../domain/delegation/review-start';
import { startOrFind } from '../../domain/temporal/start-or-find';
import { reviewSearchAttributes, reviewSummary } from './review-start-options';

/** The patch id recorded in the histories of workflows that start their reviews together. */
export const MARKS_STARTED_TOGETHER = 'start-reviews-together-marked-once';

/**
 * Starts a review workflow for each open review that has none yet (abandoned on close: a review
 * outlives the workflow that started it), marking each started. By type name, so that the review
 * workflow itself can start reviews (of the children of an ABP it revoked or replaced).
 *
 * Histories with the MARKS_STARTED_TOGETHER marker start every child in one workflow task and mark
 * them all with one activity (`markAll`); older ones replay one start and one activity per review.
 */
export async function startReviewWorkflows(
  reviews: readonly ReviewStart[],
  markStarted: (reviewId: string) => Promise<void>,
  markAll?: (reviewIds: string[]) => Promise<void>,
): Promise<string[]> {
  const start = (review: ReviewStart) =>
    startOrFind(() =>
      startChild('delegationReviewWorkflow', {
        workflowId: review.reviewId,
        args: [review],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: reviewSearchAttributes(review),
        staticSummary: reviewSummary(review),
      }),
    );
  if (markAll && reviews.length > 0 && patched(MARKS_STARTED_TOGETHER)) {
    const children = await Promise.all(reviews.map(start));
    await markAll(reviews.map((r) => r.reviewId));
    return reviews.filter((_, i) => children[i]).map((r) => r.reviewId);
  }
  const started: string[] = [];
  for (const review of reviews) {
    const child = await start(review);
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
