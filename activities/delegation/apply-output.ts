import { ApplicationFailure } from '@temporalio/common';

import type pg from 'pg';
import { withTransaction } from '../../db/pool';
import { appendProvenance } from '../../db/provenance-log';
import { buildAbp } from '../../domain/abp/build';
import { AbpSpecError } from '../../domain/abp/errors';
import type { GateResult } from '../../domain/abp/export-gates';
import { patchAbp } from '../../domain/abp/patch';
import type { Abp, ReviewOutputKind } from '../../domain/abp/schema';
import {
  advancePointer, findCurrentByAbpId, insertAbpVersion, makeCurrent, scopeKey, setPointerStatus, storedAbp, type CurrentAbp,
} from './abp-store';
import { discardStaged, exportDocument, gateFile, listExports, markRestamped, promoteStaged, writeStaged, type ExportRow } from './export-files';
import { concludeReviewRow, findOutput, findReview, type StoredOutput } from './review-store';

export interface ApplyOutcome {
  state: 'applied' | 'failed';
  outputKind: ReviewOutputKind;
  outputHash: string;
  approvers: string[];
  previous: { abpId: string; abpHash: string };
  next: { abpId: string; abpHash: string; status: 'active' | 'revoked' } | null;
  exports: { exportId: string; fileName: string; gates: GateResult[] }[];
  failure: string[];
}

export interface ApplyDeps {
  pool: pg.Pool;
  provenanceKey: string;
  exportDir: string;
}

/** A concurrent change moved the ABP pointer: the activity retries and recomputes from the new current. */
class PointerMovedError extends Error {}

/** Deterministic: a retried attempt computes the same ABP (a replacement's clock is when it was named). */
function computeNext(output: StoredOutput, base: Abp): Abp | null {
  if (output.kind === 'abp_patch') return patchAbp(base, output.document);
  if (output.kind === 'abp_replace') return buildAbp(output.document, output.createdAt);
  return null;
}

/**
 * Applies the approved output of a review: patch (same id, new hash), replace (new id) or
 * revoke. Every export of the ABP is re-stamped into a staged file and gated as read back from
 * disk; only when every gate passes does one transaction store the version, move the pointer
 * (compare-and-set), update the export rows, record provenance and conclude the review; then the
 * staged files replace the old ones. A failing gate leaves the old ABP current and concludes
 * the review as failed, with the failure in its outcome.
 */
export async function applyReviewOutput(deps: ApplyDeps, input: { reviewId: string; outputHash: string; approvers: string[] }): Promise<ApplyOutcome> {
  const review = await findReview(deps.pool, input.reviewId);
  if (!review) throw ApplicationFailure.nonRetryable(`review ${input.reviewId} not found`);
  const tag = input.reviewId;
  if (review.state === 'applied' || review.state === 'failed') {
    const outcome = review.outcome as ApplyOutcome;
    // A retry after the commit: finish moving the staged files into place.
    for (const e of outcome.exports) await promoteStaged(deps.exportDir, e.fileName, tag).catch(() => undefined);
    return outcome;
  }
  if (review.state !== 'open') throw ApplicationFailure.nonRetryable(`review ${input.reviewId} is ${review.state}`);
  const output = await findOutput(deps.pool, input.reviewId, input.outputHash);
  if (!output) throw ApplicationFailure.nonRetryable(`output ${input.outputHash} not stored for ${input.reviewId}`);

  const current = await findCurrentByAbpId(deps.pool, review.abpId);
  const outcome: ApplyOutcome = {
    state: 'failed',
    outputKind: output.kind,
    outputHash: input.outputHash,
    approvers: input.approvers,
    previous: { abpId: review.abpId, abpHash: current?.abpHash ?? review.abpHash },
    next: null,
    exports: [],
    failure: [],
  };
  if (!current || current.status !== 'active') {
    return fail(deps, review.reviewId, { ...outcome, failure: [`${review.abpId} is no longer active (${current?.status ?? 'no current version'})`] });
  }
  let base: Abp;
  let next: Abp | null;
  try {
    base = storedAbp(current);
    next = computeNext(output, base);
  } catch (error) {
    if (error instanceof AbpSpecError) return fail(deps, review.reviewId, { ...outcome, failure: error.problems });
    return fail(deps, review.reviewId, { ...outcome, failure: [`stored ABP unreadable: ${(error as Error).message}`] });
  }
  const stamped = next ?? base;
  const status = output.kind === 'abp_revoke' ? 'revoked' : 'active';
  const exports = await listExports(deps.pool, review.abpId);
  for (const row of exports) {
    const path = await writeStaged(deps.exportDir, row.fileName, tag, exportDocument(row, stamped, row.stamp + 1, status));
    outcome.exports.push({ exportId: row.exportId, fileName: row.fileName, gates: await gateFile(path, stamped.hash) });
  }
  outcome.next = { abpId: stamped.abp_id, abpHash: stamped.hash, status };
  const failedGates = outcome.exports.flatMap((e) => e.gates.filter((g) => !g.passed).map((g) => `${e.exportId}: ${g.gate}: ${g.detail}`));
  if (failedGates.length > 0) {
    for (const row of exports) await discardStaged(deps.exportDir, row.fileName, tag);
    return fail(deps, review.reviewId, { ...outcome, failure: failedGates });
  }
  const applied: ApplyOutcome = { ...outcome, state: 'applied' };
  await commit(deps, review.reviewId, current, base, next, exports, applied, output.document);
  for (const row of exports) await promoteStaged(deps.exportDir, row.fileName, tag);
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
    if (!locked || locked.version !== current.version) throw new PointerMovedError(`ABP ${current.abpId} changed while the review was applied`);
    let moved: boolean;
    if (next === null) {
      const reason = (document as { reason: string }).reason;
      moved = await setPointerStatus(tx, current.scopeKey, current.version, { status: 'revoked', reason });
    } else {
      await insertAbpVersion(tx, next, { source: outcome.outputKind === 'abp_patch' ? 'patch' : 'replace', supersedes: base.hash, reviewId });
      if (scopeKey(next.scope) === current.scopeKey) moved = await advancePointer(tx, current.scopeKey, current.version, next);
      else {
        moved = await setPointerStatus(tx, current.scopeKey, current.version, { status: 'replaced', replacedBy: next.abp_id });
        await makeCurrent(tx, next);
      }
    }
    if (!moved) throw new PointerMovedError(`ABP ${current.abpId} changed while the review was applied`);
    for (const row of exports) await markRestamped(tx, row.exportId, next ?? base);
    const kind = outcome.outputKind === 'abp_patch' ? 'abp.patched' : outcome.outputKind === 'abp_replace' ? 'abp.replaced' : 'abp.revoked';
    await appendProvenance(tx, deps.provenanceKey, {
      kind,
      subject: `abp:${current.abpId}`,
      actor: null,
      payload: {
        review_id: reviewId, previous_hash: base.hash, next_abp_id: outcome.next?.abpId, next_hash: outcome.next?.abpHash, approvers: outcome.approvers,
        // Kept with the revocation so that a later refusal to rebuild the id can name it.
        ...(next === null ? { reason: (document as { reason: string }).reason } : {}),
      },
    });
    // Only reached when every staged export passed its gates (a failing gate concludes the review as failed instead).
    await appendProvenance(tx, deps.provenanceKey, {
      kind: 'abp.exports_restamped',
      subject: `abp:${outcome.next?.abpId ?? current.abpId}`,
      actor: null,
      payload: { review_id: reviewId, exports: exports.map((e) => e.exportId), gates_passed: true },
    });
    if (!(await concludeReviewRow(tx, reviewId, 'applied', outcome))) throw ApplicationFailure.nonRetryable(`review ${reviewId} is no longer open`);
    await appendProvenance(tx, deps.provenanceKey, {
      kind: 'review.applied',
      subject: `review:${reviewId}`,
      actor: null,
      payload: { output_kind: outcome.outputKind, output_hash: outcome.outputHash, next_hash: outcome.next?.abpHash },
    });
  });
}

async function fail(deps: ApplyDeps, reviewId: string, outcome: ApplyOutcome): Promise<ApplyOutcome> {
  await withTransaction(deps.pool, async (tx) => {
    if (!(await concludeReviewRow(tx, reviewId, 'failed', outcome))) return;
    await appendProvenance(tx, deps.provenanceKey, {
      kind: 'review.apply_failed',
      subject: `review:${reviewId}`,
      actor: null,
      payload: { output_kind: outcome.outputKind, output_hash: outcome.outputHash, failed_checks: outcome.failure.length },
    });
  });
  return outcome;
}

