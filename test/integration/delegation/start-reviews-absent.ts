// Stands in for workflows/delegation/start-reviews.ts in a bundle of the delegation workflows as
// they were before reviews were started together: no patch marker, one child start and one
// markReviewStarted activity per review, in turn (the batch marker `markAll` is ignored).
import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import type { ReviewStart } from '../../../domain/delegation/review-start';
import { startOrFind } from '../../../domain/temporal/start-or-find';
import { reviewSearchAttributes, reviewSummary } from '../../../workflows/delegation/contract';

export const MARKS_STARTED_TOGETHER = 'start-reviews-together-marked-once';

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

export const STARTS_CHILD_REVIEWS = 'review-starts-parent-changed-reviews';

export function startsChildReviews(): boolean {
  return patched(STARTS_CHILD_REVIEWS);
}
