// Stands in for workflows/delegation/review-reopen.ts in a bundle of the review workflow as it
// was before reviews reopened after a failed apply: no patch marker, and a failure is final.
export const REOPEN_AFTER_FAILED_APPLY = 'review-reopens-after-failed-apply';
export function reopensAfterFailedApply(): boolean {
  return false;
}
