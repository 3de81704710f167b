import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of reviews whose deadline passed, by which they ask whether a vote decided them anyway. */
export const DEADLINE_RECHECKS_DECISION = 'review-deadline-rechecks-decision';

/**
 * When a review's deadline passes, newer runs conclude with what the votes decided by then (a
 * deciding approval in flight settles first) and time out only when nothing was decided. Older
 * ones waited only for a deciding approval they saw in flight, which is not deterministic: while
 * that approval's local activity runs, the SDK completes empty workflow tasks to keep the task
 * alive, and a replay takes those together with the task that resolved the local activity, so the
 * timer and the resolution arrive in one activation and the run that waited replays as one that
 * timed out. Asked only when the deadline passed: a history that timed out without it replays the old way.
 */
export function deadlineRechecksDecision(): boolean {
  return patched(DEADLINE_RECHECKS_DECISION);
}
