// Stands in for workflows/delegation/review-deadline-decision.ts in a bundle of the review workflow
// as it was before a passed deadline rechecked the decision: no patch marker; only a deciding
// approval seen in flight is waited for.
export const DEADLINE_RECHECKS_DECISION = 'review-deadline-rechecks-decision';
export function deadlineRechecksDecision(): boolean {
  return false;
}
