import type pg from 'pg';
import { withTransaction } from '../../db/pool';
import { appendProvenance } from '../../db/provenance/log';
import type { ApplyOutcome } from '../../domain/delegation/apply-outcome';
import type { Abp } from '../../domain/delegation/schema';
import { conflict, notFound, WardenError } from '../../domain/errors';
import {
  advancePointer,
  findCurrentByAbpId,
  insertAbpVersion,
  makeCurrent,
  scopeKey,
  setPointerStatus,
  type CurrentAbp,
} from '../../db/delegation/abps';
import { gateExportText } from '../../domain/delegation/export-gates';
import type { ExportSink } from '../../domain/delegation/export-sink';
import { markRestamped, type ExportRow } from '../../db/delegation/exports';
import { planReviewOutput } from '../../db/delegation/output-dry-run';
import { openParentChangedReviews } from '../../db/delegation/composition';
import { concludeReviewRow, findReview, recordFailedAttempt } from '../../db/delegation/reviews';
import { findOutput } from '../../db/delegation/review-outputs';
import { voidApprovals } from '../../db/delegation/review-votes';

// The outcome's shape is shared with the workflow, the client and the CLI: defined in the domain.
export type { ApplyOutcome };

export interface ApplyDeps {
  pool: pg.Pool;
  provenanceKey: string;
  exports: ExportSink;
}

export interface ApplyInput {
  reviewId: string;
  outputHash: string;
  approvers: string[];
  /**
   * Set by review workflows that reopen on failure (see the workflow's patch): a failure then
   * returns the review to open instead of concluding it as failed.
   */
  round?: number;
}

/** A concurrent change moved the ABP pointer: the activity retries and recomputes from the new current. */
class PointerMovedError extends Error {}

/**
 * Applies the approved output of a review: patch (same id, new hash), replace (new id) or
 * revoke. The output is planned against the current ABP (planReviewOutput, the same dry-run that
 * refused invalid outputs before their votes counted); every export is re-stamped into a staged
 * document and gated as read back from its sink; only when every gate passes does one transaction
 * store the version, move the pointer (compare-and-set), update the export rows, record provenance
 * and conclude the review; then the staged documents replace the old ones. A failure leaves the old ABP
 * current and the exports untouched; the review goes back to open with the failure recorded and
 * the approvals of the output voided (with `round`), or concludes as failed when the ABP is no
 * longer active (no output can apply any more) or the workflow predates reopening.
 */
export async function applyReviewOutput(deps: ApplyDeps, input: ApplyInput): Promise<ApplyOutcome> {
  const review = await findReview(deps.pool, input.reviewId);
  if (!review) throw notFound(`review ${input.reviewId}`);
  const tag = input.reviewId;
  if (review.state === 'applied' || review.state === 'failed') {
    const outcome = review.outcome as ApplyOutcome;
    // A retry after the commit: finish moving the staged documents into place.
    for (const e of outcome.exports) await deps.exports.promote(e, tag);
    return outcome;
  }
  if (review.state !== 'open') throw conflict(`review ${input.reviewId} is ${review.state}`);
  const earlier = review.outcome as ApplyOutcome | null;
  // A retry after this very attempt reopened the review: its approvals are gone, nothing to apply.
  if (input.round !== undefined && earlier?.reopened && earlier.round === input.round) return earlier;
  const output = await findOutput(deps.pool, input.reviewId, input.outputHash);
  if (!output) throw new WardenError('not_found', `output ${input.outputHash} not stored for ${input.reviewId}`);

  const plan = await planReviewOutput(deps.pool, review.abpId, output);
  const outcome: ApplyOutcome = {
    state: 'failed',
    outputKind: output.kind,
    outputHash: input.outputHash,
    approvers: input.approvers,
    previous: { abpId: review.abpId, abpHash: plan.current?.abpHash ?? review.abpHash },
    next: plan.stamped
      ? { abpId: plan.stamped.abp.abp_id, abpHash: plan.stamped.abp.hash, status: plan.stamped.status }
      : null,
    exports: plan.exports.map((e) => ({ exportId: e.row.exportId, fileName: e.row.fileName, gates: e.gates })),
    failure: plan.problems,
    ...(input.round !== undefined ? { round: input.round } : {}),
  };
  const setBack = (failed: ApplyOutcome) =>
    input.round === undefined || !plan.applicable
      ? fail(deps, review.reviewId, failed)
      : reopen(deps, review.reviewId, failed);
  if (plan.problems.length > 0 || !plan.stamped || !plan.current || !plan.base) return setBack(outcome);

  outcome.exports = [];
  for (const e of plan.exports) {
    await deps.exports.stage(e.row, tag, e.document);
    const staged = await deps.exports.readStaged(e.row, tag);
    const gates = gateExportText(staged, deps.exports.where(e.row), plan.stamped.abp.hash);
    outcome.exports.push({ exportId: e.row.exportId, fileName: e.row.fileName, gates });
  }
  const failedGates = outcome.exports.flatMap((e) =>
    e.gates.filter((g) => !g.passed).map((g) => `${e.exportId}: ${g.gate}: ${g.detail}`),
  );
  if (failedGates.length > 0) {
    for (const e of plan.exports) await deps.exports.discard(e.row, tag);
    return setBack({ ...outcome, failure: failedGates });
  }
  const applied: ApplyOutcome = { ...outcome, state: 'applied' };
  const rows = plan.exports.map((e) => e.row);
  await commit(deps, review.reviewId, plan.current, plan.base, plan.next, rows, applied, output.document);
  for (const row of rows) await deps.exports.promote(row, tag);
  return applied;
}

async function commit(
  deps: ApplyDeps,
  reviewId: string,
  current: CurrentAbp,
  base: Abp,
  next: Abp | null,
  exports: ExportRow[],
  outcome: ApplyOutcome,
  document: unknown,
): Promise<void> {
  await withTransaction(deps.pool, async (tx) => {
    const locked = await findCurrentByAbpId(tx, current.abpId, { forUpdate: true });
    if (!locked || locked.version !== current.version)
      throw new PointerMovedError(`ABP ${current.abpId} changed while the review was applied`);
    let moved: boolean;
    if (next === null) {
      const reason = (document as { reason: string }).reason;
      moved = await setPointerStatus(tx, current.scopeKey, current.version, { status: 'revoked', reason });
    } else {
      await insertAbpVersion(tx, next, {
        source: outcome.outputKind === 'abp_patch' ? 'patch' : 'replace',
        supersedes: base.hash,
        reviewId,
      });
      if (scopeKey(next.scope) === current.scopeKey)
        moved = await advancePointer(tx, current.scopeKey, current.version, next);
      else {
        moved = await setPointerStatus(tx, current.scopeKey, current.version, {
          status: 'replaced',
          replacedBy: next.abp_id,
        });
        await makeCurrent(tx, next);
      }
    }
    if (!moved) throw new PointerMovedError(`ABP ${current.abpId} changed while the review was applied`);
    if (outcome.outputKind !== 'abp_patch') {
      const childReviews = await openParentChangedReviews(tx, deps.provenanceKey, base, {
        kind: next === null ? 'revoked' : 'replaced',
        replacedBy: next?.abp_id ?? null,
        reviewId,
      });
      if (childReviews.length > 0) outcome.childReviews = childReviews;
    }
    for (const row of exports) await markRestamped(tx, row.exportId, next ?? base);
    const kind =
      outcome.outputKind === 'abp_patch'
        ? 'abp.patched'
        : outcome.outputKind === 'abp_replace'
          ? 'abp.replaced'
          : 'abp.revoked';
    await appendProvenance(tx, deps.provenanceKey, {
      kind,
      subject: `abp:${current.abpId}`,
      actor: null,
      payload: {
        review_id: reviewId,
        previous_hash: base.hash,
        next_abp_id: outcome.next?.abpId,
        next_hash: outcome.next?.abpHash,
        approvers: outcome.approvers,
        // Kept with the revocation so that a later refusal to rebuild the id can name it.
        ...(next === null ? { reason: (document as { reason: string }).reason } : {}),
      },
    });
    // Only reached when every staged export passed its gates (a failing gate sets the review back instead).
    await appendProvenance(tx, deps.provenanceKey, {
      kind: 'abp.exports_restamped',
      subject: `abp:${outcome.next?.abpId ?? current.abpId}`,
      actor: null,
      payload: { review_id: reviewId, exports: exports.map((e) => e.exportId), gates_passed: true },
    });
    if (!(await concludeReviewRow(tx, reviewId, 'applied', outcome)))
      throw conflict(`review ${reviewId} is no longer open`);
    await appendProvenance(tx, deps.provenanceKey, {
      kind: 'review.applied',
      subject: `review:${reviewId}`,
      actor: null,
      payload: { output_kind: outcome.outputKind, output_hash: outcome.outputHash, next_hash: outcome.next?.abpHash },
    });
  });
}

/** The provenance entry of a failed apply: what failed, and what became of the review. */
function applyFailedEntry(reviewId: string, outcome: ApplyOutcome, after: Record<string, unknown>) {
  return {
    kind: 'review.apply_failed',
    subject: `review:${reviewId}`,
    actor: null,
    payload: {
      output_kind: outcome.outputKind,
      output_hash: outcome.outputHash,
      failed_checks: outcome.failure.length,
      reasons: outcome.failure,
      ...after,
    },
  };
}

async function fail(deps: ApplyDeps, reviewId: string, outcome: ApplyOutcome): Promise<ApplyOutcome> {
  await withTransaction(deps.pool, async (tx) => {
    if (!(await concludeReviewRow(tx, reviewId, 'failed', outcome))) return;
    await appendProvenance(tx, deps.provenanceKey, applyFailedEntry(reviewId, outcome, { reopened: false }));
  });
  return outcome;
}

/**
 * The failed attempt is recorded on the review, which stays open (its trigger keeps an active
 * review); the approvals of the output that failed are voided so their principals may vote again.
 */
async function reopen(deps: ApplyDeps, reviewId: string, outcome: ApplyOutcome): Promise<ApplyOutcome> {
  return withTransaction(deps.pool, async (tx) => {
    const voided = await voidApprovals(tx, reviewId, outcome.outputHash);
    const reopened: ApplyOutcome = { ...outcome, reopened: true, voided };
    if (!(await recordFailedAttempt(tx, reviewId, reopened))) throw conflict(`review ${reviewId} is no longer open`);
    await appendProvenance(tx, deps.provenanceKey, {
      ...applyFailedEntry(reviewId, outcome, { reopened: true, round: outcome.round, voided_votes: voided }),
      idempotencyKey: `review:${reviewId}/apply-failed/${outcome.round}`,
    });
    return reopened;
  });
}
