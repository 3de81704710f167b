import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import type { Abp } from '../../domain/delegation/schema';

/**
 * Export rows: one per module of an ABP's scope, naming the export that embeds the ABP (its
 * document is in abp_export_documents, or a file of that name with WARDEN_EXPORT_SINK=file) and
 * the ABP it was last stamped with.
 */
export interface ExportRow {
  exportId: string;
  module: string;
  abpId: string;
  abpHash: string;
  fileName: string;
  stamp: number;
  stampedAt: string;
}

export async function listExports(q: Queryable, abpId: string): Promise<ExportRow[]> {
  const { rows } = await q.query<{
    export_id: string;
    module: string;
    abp_id: string;
    abp_hash: string;
    file_name: string;
    stamp: number;
    stamped_at: Date;
  }>(
    'SELECT export_id, module, abp_id, abp_hash, file_name, stamp, stamped_at FROM abp_exports WHERE abp_id = $1 ORDER BY export_id',
    [abpId],
  );
  return rows.map(camelRow);
}

export function exportIdFor(abpId: string, module: string): string {
  return `${abpId.toLowerCase()}-${module.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-')}`;
}

/**
 * Registers one export per module in the ABP's scope (existing ones are left alone, including one
 * named after an id the ABP was re-issued away from: an export keeps its name for its readers).
 */
export async function registerExports(q: Queryable, abp: Abp): Promise<ExportRow[]> {
  for (const module of abp.scope.modules) {
    const exportId = exportIdFor(abp.abp_id, module);
    await q.query(
      `INSERT INTO abp_exports (export_id, module, abp_id, abp_hash, file_name)
       SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM abp_exports WHERE abp_id = $3 AND module = $2)
       ON CONFLICT (export_id) DO NOTHING`,
      [exportId, module, abp.abp_id, abp.hash, `${exportId}.json`],
    );
  }
  return listExports(q, abp.abp_id);
}

/** Every export of `exportIds` now embeds `abp`: one statement for all of them. */
export async function markRestamped(q: Queryable, exportIds: readonly string[], abp: Abp): Promise<void> {
  if (exportIds.length === 0) return;
  await q.query(
    `UPDATE abp_exports SET abp_id = $2, abp_hash = $3, stamp = stamp + 1, stamped_at = now() WHERE export_id = ANY($1::text[])`,
    [exportIds, abp.abp_id, abp.hash],
  );
}

/** Every export and the hash its row names, across all ABPs. */
export async function exportRefsWithHashes(
  q: Queryable,
): Promise<{ exportId: string; fileName: string; abpHash: string }[]> {
  const { rows } = await q.query<{ export_id: string; file_name: string; abp_hash: string }>(
    'SELECT export_id, file_name, abp_hash FROM abp_exports',
  );
  return rows.map(camelRow);
}
