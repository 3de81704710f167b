import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { exportsWithoutDocument, importExportDocument } from '../db/delegation/export-documents';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';

export interface ExportFileImport {
  /** Export ids whose file was imported. */
  imported: string[];
  /** Export ids with neither a document in PostgreSQL nor a file to import (`abp verify` reports them). */
  missing: string[];
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Moves exports written as files (before exports lived in PostgreSQL, or by WARDEN_EXPORT_SINK=file)
 * into PostgreSQL: each export with no document there gets its file's text, as it is (the gates
 * judge it like any other document), and a provenance entry per export says so. The files stay
 * where they are. Idempotent: an export that already has a document is never overwritten, so
 * several processes may run this at once.
 */
export async function importExportFiles(deps: {
  pool: pg.Pool;
  provenanceKey: string;
  exportDir: string;
}): Promise<ExportFileImport> {
  const result: ExportFileImport = { imported: [], missing: [] };
  for (const row of await exportsWithoutDocument(deps.pool)) {
    const text = await readIfThere(join(deps.exportDir, row.fileName));
    if (text === undefined) {
      result.missing.push(row.exportId);
      continue;
    }
    await withProvenanceTransaction(deps.pool, async (tx) => {
      if (!(await importExportDocument(tx, row.exportId, text))) return;
      result.imported.push(row.exportId);
      await appendProvenance(tx, deps.provenanceKey, {
        kind: 'abp.export_imported',
        subject: `abp:${row.abpId}`,
        actor: null,
        payload: { export_id: row.exportId, from: 'file', file_name: row.fileName },
        idempotencyKey: `abp.export_imported/${row.exportId}`,
      });
    });
  }
  return result;
}
