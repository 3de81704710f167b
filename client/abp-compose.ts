import type pg from 'pg';
import { z } from 'zod';
import { requireAdmin } from './administrator';
import { liveParent } from '../db/delegation/abp-finality';
import { advancePointer, findCurrentByAbpId, insertAbpVersion, type CurrentAbp } from '../db/delegation/abps';
import { listExports, markRestamped, type ExportRow } from '../db/delegation/exports';
import { type Queryable } from '../db/pool';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import { listChildren, stampParent } from '../domain/delegation/composition';
import { exportDocument } from '../domain/delegation/export-document';
import { AbpSchema, type Abp } from '../domain/delegation/schema';
import { conflict, notFound } from '../domain/errors';
import { writeExport, type ExportSink } from '../domain/delegation/export-sink';

const abpId = z.string().regex(/^ABP-[a-f0-9]{8}$/, 'must look like ABP-<8 hex>');
export const ComposeChildrenSchema = z
  .array(abpId)
  .min(1, 'name at least one child')
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, 'a child is named twice');

export interface ComposedAbps {
  parent: Abp;
  children: Abp[];
}

/** Ancestors are followed at most this deep (a longer chain is refused as it could hide a cycle). */
const MAX_DEPTH = 32;

/**
 * `warden abp compose <parent> --child <child>…`: in one transaction, a new version of the parent
 * listing the children (by id and the hash each has now) and a new version of each child naming
 * that parent version (composition.parent_abp_id and parent_abp_hash); every export of each is
 * re-stamped. Refused (409): a parent that is revoked or replaced, a child that is not active, is
 * composed under another parent, is the parent or one of its ancestors. Only an administrator
 * composes (the authority of every ABP named changes), on every surface.
 */
export async function composeUnderParent(
  deps: { pool: pg.Pool; provenanceKey: string; exports: ExportSink },
  parentId: string,
  childIdsInput: unknown,
  actor: string | null,
): Promise<ComposedAbps> {
  const childIds = ComposeChildrenSchema.parse(childIdsInput);
  const stored = await withProvenanceTransaction(deps.pool, async (tx) => {
    await requireAdmin(tx, actor, 'compose ABPs');
    const parentRow = await liveParent(tx, parentId);
    if (!parentRow) throw notFound(`ABP ${parentId}`);
    const parent = AbpSchema.parse(parentRow.document);
    const ancestors = await ancestorIds(tx, parent);
    const childRows: CurrentAbp[] = [];
    for (const id of childIds) {
      const row = await findCurrentByAbpId(tx, id, { forUpdate: true });
      if (!row) throw notFound(`ABP ${id}`);
      if (row.abpId === parent.abp_id || ancestors.includes(row.abpId))
        throw conflict(`${row.abpId} cannot be a child of ${parent.abp_id}: that would be a cycle`);
      if (row.status !== 'active') throw conflict(`${row.abpId} is ${row.status}: only an active ABP can be composed`);
      const existing = AbpSchema.parse(row.document).composition.parent_abp_id;
      if (existing !== null && existing !== parent.abp_id)
        throw conflict(`${row.abpId} is already composed under ${existing}`);
      childRows.push(row);
    }
    const nextParent = listChildren(
      parent,
      childRows.map((r) => AbpSchema.parse(r.document)),
    );
    const parentExports = await storeVersion(tx, parentRow, nextParent, actor);
    const children: { abp: Abp; exports: ExportRow[] }[] = [];
    for (const row of childRows) {
      const next = stampParent(AbpSchema.parse(row.document), nextParent);
      children.push({ abp: next, exports: await storeVersion(tx, row, next, actor) });
      await appendProvenance(tx, deps.provenanceKey, {
        kind: 'abp.composed_under',
        subject: `abp:${next.abp_id}`,
        actor,
        payload: {
          previous_hash: row.abpHash,
          abp_hash: next.hash,
          parent_abp_id: nextParent.abp_id,
          parent_abp_hash: nextParent.hash,
        },
      });
    }
    await appendProvenance(tx, deps.provenanceKey, {
      kind: 'abp.composed',
      subject: `abp:${nextParent.abp_id}`,
      actor,
      payload: {
        previous_hash: parentRow.abpHash,
        abp_hash: nextParent.hash,
        children: children.map((c, i) => ({
          abp_id: c.abp.abp_id,
          listed_hash: childRows[i]!.abpHash,
          stamped_hash: c.abp.hash,
        })),
      },
    });
    return { parent: { abp: nextParent, exports: parentExports }, children };
  });
  for (const { abp, exports } of [stored.parent, ...stored.children]) {
    // Tagged by the version: composing again re-stages the same document.
    for (const row of exports)
      await writeExport(
        deps.exports,
        row,
        exportDocument(row, abp, row.stamp, 'active'),
        `compose-${abp.hash.slice(7, 23)}`,
      );
  }
  return { parent: stored.parent.abp, children: stored.children.map((c) => c.abp) };
}

/** A new version of an ABP on its own pointer (compare-and-set) with its exports re-stamped; unchanged stores nothing. */
async function storeVersion(tx: Queryable, row: CurrentAbp, next: Abp, actor: string | null): Promise<ExportRow[]> {
  if (next.hash !== row.abpHash) {
    await insertAbpVersion(tx, next, { source: 'compose', supersedes: row.abpHash, createdBy: actor });
    if (!(await advancePointer(tx, row.scopeKey, row.version, next)))
      throw conflict(`${row.abpId} changed while it was composed; try again`);
  }
  const stale = (await listExports(tx, next.abp_id)).filter((e) => e.abpHash !== next.hash);
  await markRestamped(
    tx,
    stale.map((e) => e.exportId),
    next,
  );
  return listExports(tx, next.abp_id);
}

/** The ids above `abp` through composition.parent_abp_id (current versions), nearest first. */
async function ancestorIds(q: Queryable, abp: Abp): Promise<string[]> {
  const ids: string[] = [];
  let parentId = abp.composition.parent_abp_id;
  while (parentId !== null) {
    if (ids.includes(parentId) || ids.length >= MAX_DEPTH)
      throw conflict(`the parents above ${abp.abp_id} form a cycle or a chain deeper than ${MAX_DEPTH}`);
    ids.push(parentId);
    const row = await findCurrentByAbpId(q, parentId);
    const parsed = row ? AbpSchema.safeParse(row.document) : undefined;
    parentId = parsed?.success ? parsed.data.composition.parent_abp_id : null;
  }
  return ids;
}
