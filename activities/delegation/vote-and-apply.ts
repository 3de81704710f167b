import type { ApprovalReading } from '../../db/delegation/approval-reading';
import type { ApplyOutcome } from '../../domain/delegation/apply-outcome';
import type { ApplyInput } from './apply-output';
import type { AcceptedVote, VoteInput } from './review-votes';

export interface VoteAndApplyInput {
  vote: VoteInput;
  apply: ApplyInput;
}

export interface VotedAndApplied {
  vote: AcceptedVote;
  /** The apply's outcome, or null when it did not finish: the workflow then applies with the apply activity. */
  outcome: ApplyOutcome | null;
}

/**
 * The approval that meets the review's threshold, recorded and applied in one step: the apply
 * starts from the reading the vote was checked on (one statement fewer) and the workflow waits for
 * one (local) activity instead of two activity tasks and the workflow task between them.
 *
 * A refused vote is the step's failure (the Update's). The vote is recorded before the apply runs,
 * so an apply that throws (the ABP moved since the reading, the database went away) must not fail
 * the step, which the Update's caller would take for a refused vote: its outcome is null and the
 * review's main line applies with `applyReviewOutput` and its retry policy, as it did before. Both
 * halves are idempotent (a vote recorded before returns it again; an applied review returns its
 * outcome), so the step may be retried whole.
 */
export async function voteAndApply(
  vote: (input: VoteInput) => Promise<{ accepted: AcceptedVote; read: ApprovalReading }>,
  apply: (input: ApplyInput, reading: ApprovalReading) => Promise<ApplyOutcome>,
  input: VoteAndApplyInput,
): Promise<VotedAndApplied> {
  const { accepted, read } = await vote(input.vote);
  const outcome = await apply(input.apply, read).catch(() => null);
  return { vote: accepted, outcome };
}
