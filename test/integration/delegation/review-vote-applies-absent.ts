// Stands in for workflows/delegation/review-vote-applies.ts in a bundle of the review workflow as
// it was before the deciding approval applied itself: no patch marker, every approval is recorded by
// the recordReviewVote activity and the main line applies with applyReviewOutput.
export const DECIDING_VOTE_APPLIES = 'review-deciding-vote-applies';
export function decidingVoteApplies(): boolean {
  return false;
}
