import type { ExportDocument } from './export-gates';
import type { Abp } from './schema';

/** The document an export file holds: the ABP it embeds, stamped (count and time) with its status. */
export function exportDocument(
  row: { exportId: string; module: string },
  abp: Abp,
  stamp: number,
  status: ExportDocument['status'],
): ExportDocument {
  return { export_id: row.exportId, module: row.module, stamp, stamped_at: new Date().toISOString(), status, abp };
}
