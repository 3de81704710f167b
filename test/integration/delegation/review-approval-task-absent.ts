// Stands in for workflows/delegation/review-approval-task.ts in a bundle of the review workflow as
// it was before the lean approval: no patch marker; the deciding approval asks the deciding-vote
// patch, the close asks the inline-conclusion one, and the state is upserted after the vote, as
// applying and as applied.
export const APPROVAL_IN_ONE_LEAN_TASK = 'review-approval-in-one-lean-task';
export function approvalInOneLeanTask(): boolean {
  return false;
}
