import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of reviews that reopen after a failed apply. */
export const REOPEN_AFTER_FAILED_APPLY = 'review-reopens-after-failed-apply';

/**
 * Reviews started before this patch conclude as failed when their output fails to apply; newer
 * ones go back to open, so their trigger is never left tripped without an active review. Asked
 * once, when the review starts: a history without the marker replays the old way to its end.
 */
export function reopensAfterFailedApply(): boolean {
  return patched(REOPEN_AFTER_FAILED_APPLY);
}
