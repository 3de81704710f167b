import type pg from 'pg';
import { withTransaction } from '../db/pool';
import { appendProvenance } from '../db/provenance/log';
import type { Abp } from '../domain/delegation/schema';
import { refuseRetiredId } from '../db/delegation/abp-finality';
import { insertAbpVersion, makeCurrent, type AbpSource } from '../db/delegation/abps';
import { exportDocument } from '../domain/delegation/export-document';
import { listExports, markRestamped, registerExports, type ExportRow } from '../db/delegation/exports';
import { writeExport } from '../export-files/staged-files';

export interface StoredAbp {
  abp: Abp;
  created: boolean;
  madeCurrent: boolean;
  exports: ExportRow[];
}

/**
 * Stores a built ABP as a new immutable version, makes it current for its scope, registers one
 * export per module and stamps every export of this ABP with it. Building the same spec twice
 * changes nothing; building one whose id was revoked, replaced or superseded is refused.
 */
export async function storeBuiltAbp(
  deps: { pool: pg.Pool; provenanceKey: string; exportDir: string },
  abp: Abp,
  meta: { source: Extract<AbpSource, 'build' | 'seed'>; actor: string | null; legacyId?: string },
): Promise<StoredAbp> {
  const result = await withTransaction(deps.pool, async (tx) => {
    await refuseRetiredId(tx, abp, meta.legacyId);
    const created = await insertAbpVersion(tx, abp, { source: meta.source, createdBy: meta.actor });
    const madeCurrent = await makeCurrent(tx, abp);
    await registerExports(tx, abp);
    for (const row of await listExports(tx, abp.abp_id)) {
      if (row.abpHash !== abp.hash) await markRestamped(tx, row.exportId, abp);
    }
    if (created || madeCurrent) {
      await appendProvenance(tx, deps.provenanceKey, {
        kind: meta.source === 'seed' ? 'abp.seeded' : 'abp.built',
        subject: `abp:${abp.abp_id}`,
        actor: meta.actor,
        payload: { abp_hash: abp.hash, new_version: created, made_current: madeCurrent },
      });
    }
    return { created, madeCurrent, exports: await listExports(tx, abp.abp_id) };
  });
  for (const row of result.exports) {
    await writeExport(deps.exportDir, row.fileName, exportDocument(row, abp, row.stamp, 'active'));
  }
  return { abp, ...result };
}
