import type pg from 'pg';
import { appendProvenance, withProvenanceTransaction } from '../../db/provenance/log';
import type { ReviewOutputKind } from '../../domain/delegation/schema';
import { conflict, forbidden, invalid, notFound } from '../../domain/errors';
import { planOutputOn, planReviewOutput } from '../../db/delegation/output-dry-run';
import { readApproval, type ApprovalReading } from '../../db/delegation/approval-reading';
import { recordApproval } from '../../db/delegation/review-outputs';
import { concludeReviewRow, findReview } from '../../db/delegation/reviews';
import { findVote, insertVote } from '../../db/delegation/review-votes';
import { fireTimeoutEscalations } from '../../db/delegation/escalations';

export interface VoteInput {
  reviewId: string;
  principal: string;
  decision: 'approve' | 'dismiss';
  outputHash?: string;
  reason: string;
}

export interface AcceptedVote {
  outputKind: ReviewOutputKind | null;
  outputAuthor: string | null;
}

// Refusals a person caused, reported back through the Update and never retried (as every
// activity's WardenError is, activities/input-failures.ts): 'conflict' for the review's state,
// 'forbidden' for who may not vote here at all (unknown, or without the approver role), 'invalid'
// for an output that would not apply to the ABP as it is (the vote is not recorded, the review stays open).
const refuse = (message: string) => conflict(message);
const forbid = (message: string) => forbidden(message);
const unusable = (problems: string[]) => invalid(`the output would not apply: ${problems.join('; ')}`, problems);

/**
 * Records one vote: the principal must exist and hold the review's approver_role, the review
 * must be open, an approval must name an output stored for this review that would apply to the
 * ABP as it is now (the dry-run: resulting schema, contradictions, identity, export gates), and
 * each principal votes once (the primary key). The first principal whose approval of an output
 * is accepted is its author. A retry of a vote that was recorded returns it again.
 */
export async function recordReviewVote(
  deps: { pool: pg.Pool; provenanceKey: string },
  input: VoteInput,
): Promise<AcceptedVote> {
  return (await recordVote(deps, input)).accepted;
}

/** recordReviewVote, with the reading it checked the vote on (the apply that follows a deciding vote starts from it). */
export async function recordVote(
  deps: { pool: pg.Pool; provenanceKey: string },
  input: VoteInput,
): Promise<{ accepted: AcceptedVote; read: ApprovalReading }> {
  // Everything that only reads is done before the transaction, which holds the review's lock only
  // for the checks that need it, the vote and its provenance entry: on the embedded database an
  // open transaction holds the only session, so every other statement of every process waits for
  // it (the dry-run alone is several reads and the gating of every export). Outside it the reads
  // see what they saw inside (the ABP and the output are not locked by a vote either way).
  // The review, the principal, the output, the current ABP and its export rows: one statement.
  const read = await readApproval(deps.pool, {
    reviewId: input.reviewId,
    principal: input.principal,
    outputHash: input.outputHash,
  });
  const unlocked = read.review;
  if (!unlocked) throw refuse(`review ${input.reviewId} not found`);
  const principal = read.principal;
  if (!principal) throw forbid(`unknown principal "${input.principal}"`);
  // A review's policy never changes after it is opened: the role is checked against it here.
  const role = unlocked.policy.approver_role;
  if (!principal.roles.includes(role)) throw forbid(`${input.principal} does not hold the approver role ${role}`);
  const output = input.outputHash ? read.output : undefined;
  if (input.decision === 'approve' && !output)
    throw refuse(`output ${input.outputHash ?? '(none)'} is not stored for review ${input.reviewId}`);
  const planned =
    output && input.decision === 'approve' && unlocked.state === 'open'
      ? await planOutputOn(deps.pool, { abpId: unlocked.abpId, current: read.current, exports: read.exports }, output)
      : undefined;
  const accepted = await withProvenanceTransaction(deps.pool, async (tx) => {
    const review = await findReview(tx, input.reviewId, { forUpdate: true });
    if (!review) throw refuse(`review ${input.reviewId} not found`);
    const accepted: AcceptedVote = { outputKind: output?.kind ?? null, outputAuthor: output?.authoredBy ?? null };
    const prior = await findVote(tx, input.reviewId, input.principal);
    if (prior) {
      if (prior.decision === input.decision && prior.outputHash === (input.outputHash ?? null)) return accepted;
      throw refuse(`${input.principal} has already voted on ${input.reviewId}`);
    }
    if (review.state !== 'open') throw refuse(`review ${input.reviewId} is ${review.state}, not open`);
    if (output && input.decision === 'approve') {
      // Opened since the read above (rare): planned under the lock instead.
      const plan = planned ?? (await planReviewOutput(tx, review.abpId, output));
      if (plan.problems.length > 0) throw unusable(plan.problems);
    }
    if (input.decision === 'approve')
      accepted.outputAuthor = await recordApproval(tx, {
        reviewId: input.reviewId,
        principal: input.principal,
        outputHash: input.outputHash!,
        reason: input.reason,
      });
    else
      await insertVote(tx, {
        reviewId: input.reviewId,
        principal: input.principal,
        decision: input.decision,
        outputHash: input.outputHash ?? null,
        reason: input.reason,
      });
    await appendProvenance(tx, deps.provenanceKey, {
      kind: input.decision === 'approve' ? 'review.approved' : 'review.dismiss_voted',
      subject: `review:${input.reviewId}`,
      actor: input.principal,
      payload: { output_hash: input.outputHash ?? null, output_kind: accepted.outputKind },
    });
    return accepted;
  });
  return { accepted, read };
}

/** Ends an open review as dismissed or timed out; a timeout fires the ABP's escalation paths for it. */
export async function concludeReview(
  deps: { pool: pg.Pool; provenanceKey: string },
  input: { reviewId: string; state: 'dismissed' | 'timed_out'; by: string | null },
): Promise<{ concluded: boolean; escalations: { destination: string; severity: string }[] }> {
  return withProvenanceTransaction(deps.pool, async (tx) => {
    const review = await findReview(tx, input.reviewId, { forUpdate: true });
    if (!review) throw notFound(`review ${input.reviewId}`);
    const concluded = await concludeReviewRow(tx, input.reviewId, input.state, { state: input.state, by: input.by });
    if (!concluded) return { concluded: false, escalations: [] };
    await appendProvenance(tx, deps.provenanceKey, {
      kind: input.state === 'dismissed' ? 'review.dismissed' : 'review.timed_out',
      subject: `review:${input.reviewId}`,
      actor: input.by,
      payload: { abp_id: review.abpId, trigger_id: review.triggerId, timeout_ms: review.policy.timeout_ms },
    });
    const fired = input.state === 'timed_out' ? await fireTimeoutEscalations(tx, deps.provenanceKey, review) : [];
    return { concluded, escalations: fired.map((f) => ({ destination: f.destination, severity: f.severity })) };
  });
}
