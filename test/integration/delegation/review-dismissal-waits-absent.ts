// Stands in for workflows/delegation/review-dismissal-waits.ts in a bundle of the review workflow
// as it was before the patch: no marker; a dismissal records its vote at once, deciding approval
// in flight or not.
export const DISMISSAL_WAITS_FOR_DECIDING_VOTE = 'review-dismissal-waits-for-deciding-vote';
export function dismissalWaitsForDecidingVote(): boolean {
  return false;
}
