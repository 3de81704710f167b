import type pg from 'pg';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import type { Abp } from '../domain/delegation/schema';
import { liveParent, refuseRetiredId } from '../db/delegation/abp-finality';
import { findCurrentByScope, insertAbpVersion, makeCurrent, type AbpSource } from '../db/delegation/abps';
import { openParentChangedReviews } from '../db/delegation/composition';
import { AbpSchema } from '../domain/delegation/schema';
import { invalid } from '../domain/errors';
import { exportDocument } from '../domain/delegation/export-document';
import { listExports, markRestamped, registerExports, type ExportRow } from '../db/delegation/exports';
import { writeExport, type ExportSink } from '../domain/delegation/export-sink';

export interface StoredAbp {
  abp: Abp;
  created: boolean;
  madeCurrent: boolean;
  exports: ExportRow[];
  /** Reviews (parent_changed) opened on the children of the ABP this one replaced on its scope. */
  childReviews: { reviewId: string; abpId: string }[];
}

/**
 * What storeBuiltAbp returns: the stored ABP, and the child reviews it stored whose review.opened a
 * subscription wanted (read by the storing statement), for the caller to announce; not part of the answer.
 */
export type StoredAbpOpening = StoredAbp & { childReviewsToAnnounce: OpenedChildReview[] };
type OpenedChildReview = Awaited<ReturnType<typeof openParentChangedReviews>>[number];

/**
 * Stores a built ABP as a new immutable version, makes it current for its scope, registers one
 * export per module and stamps every export of this ABP with it. Building the same spec twice
 * changes nothing; building one whose id was revoked, replaced or superseded is refused, and so is
 * one naming (composition.parent_abp_id) a parent that was.
 */
export async function storeBuiltAbp(
  deps: { pool: pg.Pool; provenanceKey: string; exports: ExportSink },
  abp: Abp,
  meta: { source: Extract<AbpSource, 'build' | 'seed'>; actor: string | null; legacyId?: string },
): Promise<StoredAbpOpening> {
  const result = await withProvenanceTransaction(deps.pool, async (tx) => {
    await refuseRetiredId(tx, abp, meta.legacyId);
    const parentId = abp.composition.parent_abp_id;
    if (parentId !== null && !(await liveParent(tx, parentId)))
      throw invalid(`composition.parent_abp_id: no ABP ${parentId} is stored (build the parent first)`);
    const created = await insertAbpVersion(tx, abp, { source: meta.source, createdBy: meta.actor });
    const before = await findCurrentByScope(tx, abp.scope);
    const madeCurrent = await makeCurrent(tx, abp);
    // A new id on the scope replaces the ABP that governed it: its children need review.
    const replaced = before && before.abpId !== abp.abp_id ? AbpSchema.safeParse(before.document) : undefined;
    const childReviews = replaced?.success
      ? await openParentChangedReviews(tx, deps.provenanceKey, replaced.data, {
          kind: 'replaced',
          replacedBy: abp.abp_id,
        })
      : [];
    await registerExports(tx, abp);
    const stale = (await listExports(tx, abp.abp_id)).filter((row) => row.abpHash !== abp.hash);
    await markRestamped(
      tx,
      stale.map((row) => row.exportId),
      abp,
    );
    if (created || madeCurrent) {
      await appendProvenance(tx, deps.provenanceKey, {
        kind: meta.source === 'seed' ? 'abp.seeded' : 'abp.built',
        subject: `abp:${abp.abp_id}`,
        actor: meta.actor,
        payload: { abp_hash: abp.hash, new_version: created, made_current: madeCurrent },
      });
    }
    return {
      created,
      madeCurrent,
      exports: await listExports(tx, abp.abp_id),
      childReviews: childReviews.map((r) => ({ reviewId: r.reviewId, abpId: r.abpId })),
      childReviewsToAnnounce: childReviews.filter((r) => r.openedSubscribed),
    };
  });
  for (const row of result.exports) {
    // Tagged by the ABP: two builds of the same one stage the same document.
    await writeExport(
      deps.exports,
      row,
      exportDocument(row, abp, row.stamp, 'active'),
      `build-${abp.hash.slice(7, 23)}`,
    );
  }
  return { abp, ...result };
}
