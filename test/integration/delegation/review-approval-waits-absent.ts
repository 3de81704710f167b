// Stands in for workflows/delegation/review-approval-waits.ts in a bundle of the review workflow
// as it was before the patch: no marker; an approval goes on while a dismissal is being recorded.
export const APPROVAL_WAITS_FOR_DISMISSAL = 'review-approval-waits-for-dismissal';
export function approvalWaitsForDismissal(): boolean {
  return false;
}
