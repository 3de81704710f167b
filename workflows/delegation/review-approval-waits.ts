import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of reviews whose approval arrived while a dismissal was being recorded. */
export const APPROVAL_WAITS_FOR_DISMISSAL = 'review-approval-waits-for-dismissal';

/**
 * An approval that arrives while a dismissal's vote is being recorded (`recordReviewVote`) waits
 * for it: refused (conflict, nothing stored) when the dismissal was recorded, counted when it was
 * refused. Older runs went on: a deciding approval applied the output, and the dismissal recorded
 * before it was answered as accepted with its vote stored. Asked only for an approval that finds a
 * dismissal in flight: a history whose approval went on there replays the old way.
 */
export function approvalWaitsForDismissal(): boolean {
  return patched(APPROVAL_WAITS_FOR_DISMISSAL);
}
