// Stands in for workflows/delegation/review-opening-subscribers.ts in a bundle of the review workflow
// as it was before a review took from its start whether review.opened has subscribers: no marker,
// and the review opens in one task, announcing review.opened with a local activity whatever its start says.
export const OPENING_KNOWS_SUBSCRIBERS = 'review-opening-knows-subscribers';
export function openingKnowsSubscribers(): boolean {
  return false;
}
