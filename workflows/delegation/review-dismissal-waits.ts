import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of reviews whose dismissal arrived while a deciding approval was in flight. */
export const DISMISSAL_WAITS_FOR_DECIDING_VOTE = 'review-dismissal-waits-for-deciding-vote';

/**
 * A dismissal that arrives while the deciding approval is being recorded and applied
 * (`recordVoteAndApply`) waits for it before recording anything: refused (conflict, no vote
 * stored) when that approval decided the review, recorded and counted when it was refused. Older
 * runs recorded the dismissal's vote at once and then answered it as accepted though the approval
 * had applied (its vote row stayed). Asked only for a dismissal that finds a deciding approval in
 * flight: a history whose dismissal scheduled `recordReviewVote` there replays the old way.
 */
export function dismissalWaitsForDecidingVote(): boolean {
  return patched(DISMISSAL_WAITS_FOR_DECIDING_VOTE);
}
