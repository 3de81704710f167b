import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of reviews whose deciding approval applies the output itself. */
export const DECIDING_VOTE_APPLIES = 'review-deciding-vote-applies';

/**
 * Reviews before this patch record every approval with the `recordReviewVote` activity and apply
 * the winning output from the main line with `applyReviewOutput` (an activity task, a workflow task
 * between them, another activity task). Newer ones record the approval that meets the threshold and
 * apply it in one local activity (`recordVoteAndApply`), inside the workflow task that runs the
 * Update. Asked only for a vote that decides the review: a history whose deciding vote scheduled
 * `recordReviewVote` there replays the old way.
 */
export function decidingVoteApplies(): boolean {
  return patched(DECIDING_VOTE_APPLIES);
}
