import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of reviews that announce their conclusion inline. */
export const ANNOUNCE_CONCLUSION_INLINE = 'review-announces-conclusion-inline';

/**
 * Reviews concluded before this patch announce their end (review.concluded, review.timed_out)
 * with an activity and close in the workflow task after it; newer ones start the announcement as
 * a local activity in the task that closes them (notify's `inline`). Asked where the announcement
 * is made: a history that scheduled the activity there replays the old way.
 */
export function announcesConclusionInline(): boolean {
  return patched(ANNOUNCE_CONCLUSION_INLINE);
}
