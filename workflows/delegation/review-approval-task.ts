import { patched } from '@temporalio/workflow';

/** The patch id recorded at the deciding approval of reviews that record it in one lean task. */
export const APPROVAL_IN_ONE_LEAN_TASK = 'review-approval-in-one-lean-task';

/**
 * Asked only by reviews that opened in one task (review-opening-task.ts), at their deciding
 * approval. Its one marker stands for the deciding-vote and inline-conclusion patches (both older,
 * released with or before the one-task opening), which such a run then no longer asks (the SDK
 * records each patch as a marker and an upsert of TemporalChangeVersion); and the approval
 * upserts the review's search attributes once, with its final state, where it upserted them
 * unchanged after the vote and as `applying` just before `applied` in the same task. A history
 * that recorded the older patches at its approval replays the old way.
 */
export function approvalInOneLeanTask(): boolean {
  return patched(APPROVAL_IN_ONE_LEAN_TASK);
}
