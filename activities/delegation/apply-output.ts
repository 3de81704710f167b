import type pg from 'pg';
import { type Queryable } from '../../db/pool';
import { appendProvenance, appendProvenanceBatch, withProvenanceTransaction } from '../../db/provenance/log';
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
import { exportText, type ExportSink } from '../../domain/delegation/export-sink';
import { writeCurrentDocuments } from '../../db/delegation/export-documents';
import { markRestamped, type ExportRow } from '../../db/delegation/exports';
import { planOutputOn } from '../../db/delegation/output-dry-run';
import { readApproval, type ApprovalReading } from '../../db/delegation/approval-reading';
import { dormantParentChangedReviews, openParentChangedReviews } from '../../db/delegation/composition';
import { dueAtOpening } from '../../domain/delegation/review-due';
import type { OpenedAnnouncer } from './announce-opened';
import { concludeReviewRow, findReview, recordFailedAttempt } from '../../db/delegation/reviews';
import { voidApprovals } from '../../db/delegation/review-votes';

// The outcome's shape is shared with the workflow, the client and the CLI: defined in the domain.
export type { ApplyOutcome };

export interface ApplyDeps {
  pool: pg.Pool;
  provenanceKey: string;
  exports: ExportSink;
  /** Announces review.opened of the children's reviews a revocation or replacement stored (in an activity). */
  announce?: OpenedAnnouncer;
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
 * refused invalid outputs before their votes counted); every export is re-stamped and gated as read
 * back from its sink; only when every gate passes does one transaction store the version, move the
 * pointer (compare-and-set), update the export rows, record provenance and conclude the review.
 * Documents in PostgreSQL are written and read back inside that transaction; export files are
 * staged beside the old ones first and replace them after it. A failure leaves the old ABP
 * current and the exports untouched; the review goes back to open with the failure recorded and
 * the approvals of the output voided (with `round`), or concludes as failed when the ABP is no
 * longer active (no output can apply any more) or the workflow predates reopening.
 */
export async function applyReviewOutput(
  deps: ApplyDeps,
  input: ApplyInput,
  reading?: ApprovalReading,
): Promise<ApplyOutcome> {
  // The review, the output, the current ABP and its export rows: one statement. The plan is
  // computed from them afresh (or taken from this process's own plan of the very same reading,
  // the vote's when it ran here and nothing moved): the commit below moves the pointer only from
  // the version planned on (compare-and-set), so an ABP that moved since makes it plan again.
  // A deciding vote passes the reading it was checked on, taken just before: whatever moved since
  // (the pointer, the review's state) is checked again under the commit's locks.
  const read = reading ?? (await readApproval(deps.pool, { reviewId: input.reviewId, outputHash: input.outputHash }));
  const review = read.review;
  if (!review) throw notFound(`review ${input.reviewId}`);
  const tag = input.reviewId;
  if (review.state === 'applied' || review.state === 'failed') {
    const outcome = review.outcome as ApplyOutcome;
    // A retry after the commit: finish moving the staged documents into place, and announce the
    // children's reviews it stored again (an attempt may have failed before announcing them).
    for (const e of outcome.exports) await deps.exports.promote(e, tag);
    if (review.state === 'applied' && outcome.outputKind !== 'abp_patch' && deps.announce) {
      const children = await dormantParentChangedReviews(deps.pool, outcome.previous.abpId);
      if (children.openedSubscribed) await deps.announce(children.rows);
    }
    return outcome;
  }
  if (review.state !== 'open') throw conflict(`review ${input.reviewId} is ${review.state}`);
  const earlier = review.outcome as ApplyOutcome | null;
  // A retry after this very attempt reopened the review: its approvals are gone, nothing to apply.
  if (input.round !== undefined && earlier?.reopened && earlier.round === input.round) return earlier;
  const output = read.output;
  if (!output) throw new WardenError('not_found', `output ${input.outputHash} not stored for ${input.reviewId}`);

  const plan = await planOutputOn(
    deps.pool,
    { abpId: review.abpId, current: read.current, exports: read.exports },
    output,
  );
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

  const applied: ApplyOutcome = { ...outcome, state: 'applied', exports: [] };
  const stamped = plan.stamped.abp;
  const gated = (row: ExportRow, text: string | undefined) => ({
    exportId: row.exportId,
    fileName: row.fileName,
    gates: gateExportText(text, deps.exports.where(row), stamped.hash),
  });
  let writeExports: (tx: Queryable) => Promise<ApplyOutcome['exports']>;
  if (deps.exports.kind === 'postgres') {
    // The documents are rows of the same database: written, read back and gated inside the
    // transaction that moves the pointer, which commits them or rolls them back with it (one
    // statement where a staged copy, its read-back and its promotion took three per export).
    writeExports = async (tx) => {
      const docs = plan.exports.map((e) => ({ exportId: e.row.exportId, text: exportText(e.document) }));
      const stored = await writeCurrentDocuments(tx, tag, docs);
      return plan.exports.map((e) => gated(e.row, stored.get(e.row.exportId)));
    };
  } else {
    // Files: staged beside the old ones and gated as read back before the transaction; promoted after it.
    const staged: ApplyOutcome['exports'] = [];
    for (const e of plan.exports) {
      await deps.exports.stage(e.row, tag, e.document);
      staged.push(gated(e.row, await deps.exports.readStaged(e.row, tag)));
    }
    writeExports = () => Promise.resolve(staged);
  }
  const rows = plan.exports.map((e) => e.row);
  let children: Awaited<ReturnType<typeof openParentChangedReviews>>;
  try {
    children = await commit(
      deps,
      review.reviewId,
      plan.current,
      plan.base,
      plan.next,
      rows,
      applied,
      output.document,
      writeExports,
    );
  } catch (error) {
    if (!(error instanceof GatesFailed)) throw error;
    if (deps.exports.kind !== 'postgres') for (const e of plan.exports) await deps.exports.discard(e.row, tag);
    return setBack({ ...outcome, exports: error.exports, failure: error.failed });
  }
  if (deps.exports.kind !== 'postgres') for (const row of rows) await deps.exports.promote(row, tag);
  // The children's reviews were stored without their workflow: announced here, by their storer.
  await deps.announce?.(children.filter((c) => c.openedSubscribed));
  return applied;
}

/** A re-stamped export failed a gate as read back: the transaction rolls back and the review is set back. */
class GatesFailed extends Error {
  readonly failed: string[];
  constructor(readonly exports: ApplyOutcome['exports']) {
    const failed = exports.flatMap((e) =>
      e.gates.filter((g) => !g.passed).map((g) => `${e.exportId}: ${g.gate}: ${g.detail}`),
    );
    super(failed.join('; '));
    this.failed = failed;
  }
}

/**
 * The apply's one transaction: the pointer locked and moved (compare-and-set), the exports written
 * and gated (`writeExports`; a failed gate rolls everything back), their rows re-stamped in one
 * statement, the review concluded, and its three provenance entries appended in one batch.
 */
async function commit(
  deps: ApplyDeps,
  reviewId: string,
  current: CurrentAbp,
  base: Abp,
  next: Abp | null,
  exports: ExportRow[],
  outcome: ApplyOutcome,
  document: unknown,
  writeExports: (tx: Queryable) => Promise<ApplyOutcome['exports']>,
): Promise<Awaited<ReturnType<typeof openParentChangedReviews>>> {
  return withProvenanceTransaction(deps.pool, async (tx) => {
    // Begun holding the chain's lock (APPEND_LOCK's lock-order rule), then the review's row, as a late
    // vote or a duplicate opening of the review takes them.
    if ((await findReview(tx, reviewId, { forUpdate: true }))?.state !== 'open')
      throw conflict(`review ${reviewId} is no longer open`);
    const locked = await findCurrentByAbpId(tx, current.abpId, { forUpdate: true });
    if (!locked || locked.version !== current.version)
      throw new PointerMovedError(`ABP ${current.abpId} changed while the review was applied`);
    outcome.exports = await writeExports(tx);
    if (outcome.exports.some((e) => e.gates.some((g) => !g.passed))) throw new GatesFailed(outcome.exports);
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
    const children =
      outcome.outputKind === 'abp_patch'
        ? []
        : await openParentChangedReviews(tx, deps.provenanceKey, base, {
            kind: next === null ? 'revoked' : 'replaced',
            replacedBy: next?.abp_id ?? null,
            reviewId,
          });
    // Stored without their workflow; the review starts only those due already (a timeout within
    // the monitor's horizon), announced by this activity. The others wait for a vote or a pass.
    const due = children.filter(dueAtOpening);
    if (due.length > 0) outcome.childReviews = due.map((c) => ({ ...c, openedAnnounced: true }));
    await markRestamped(
      tx,
      exports.map((e) => e.exportId),
      next ?? base,
    );
    if (!(await concludeReviewRow(tx, reviewId, 'applied', outcome)))
      throw conflict(`review ${reviewId} is no longer open`);
    const kind =
      outcome.outputKind === 'abp_patch'
        ? 'abp.patched'
        : outcome.outputKind === 'abp_replace'
          ? 'abp.replaced'
          : 'abp.revoked';
    // One append for the three entries, in the order they have always been recorded.
    await appendProvenanceBatch(tx, deps.provenanceKey, [
      {
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
      },
      // Only reached when every export passed its gates (a failing gate sets the review back instead).
      {
        kind: 'abp.exports_restamped',
        subject: `abp:${outcome.next?.abpId ?? current.abpId}`,
        actor: null,
        payload: { review_id: reviewId, exports: exports.map((e) => e.exportId), gates_passed: true },
      },
      {
        kind: 'review.applied',
        subject: `review:${reviewId}`,
        actor: null,
        payload: {
          output_kind: outcome.outputKind,
          output_hash: outcome.outputHash,
          next_hash: outcome.next?.abpHash,
        },
      },
    ]);
    return children;
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
  await withProvenanceTransaction(deps.pool, async (tx) => {
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
  return withProvenanceTransaction(deps.pool, async (tx) => {
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
