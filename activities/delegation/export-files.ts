import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queryable } from '../../db/pool';
import { gateExport, type ExportDocument, type GateResult } from '../../domain/delegation/export-gates';
import type { Abp } from '../../domain/delegation/schema';

/**
 * Exports: JSON documents in the export directory that embed an ABP, plus a row each. A re-stamp
 * writes every new document next to the old one first ("staged"), gates the staged files as
 * read back from disk, and only moves them into place once the database change has committed.
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
  const { rows } = await q.query<{ export_id: string; module: string; abp_id: string; abp_hash: string; file_name: string; stamp: number; stamped_at: Date }>(
    'SELECT * FROM abp_exports WHERE abp_id = $1 ORDER BY export_id',
    [abpId],
  );
  return rows.map((r) => ({
    exportId: r.export_id,
    module: r.module,
    abpId: r.abp_id,
    abpHash: r.abp_hash,
    fileName: r.file_name,
    stamp: r.stamp,
    stampedAt: r.stamped_at.toISOString(),
  }));
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

export async function markRestamped(q: Queryable, exportId: string, abp: Abp): Promise<void> {
  await q.query(
    `UPDATE abp_exports SET abp_id = $2, abp_hash = $3, stamp = stamp + 1, stamped_at = now() WHERE export_id = $1`,
    [exportId, abp.abp_id, abp.hash],
  );
}

export function exportDocument(row: Pick<ExportRow, 'exportId' | 'module'>, abp: Abp, stamp: number, status: ExportDocument['status']): ExportDocument {
  return { export_id: row.exportId, module: row.module, stamp, stamped_at: new Date().toISOString(), status, abp };
}

const stagedName = (fileName: string, tag: string) => `.staged-${tag}-${fileName}`;

export async function writeStaged(dir: string, fileName: string, tag: string, doc: ExportDocument): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, stagedName(fileName, tag));
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}

export async function promoteStaged(dir: string, fileName: string, tag: string): Promise<void> {
  await rename(join(dir, stagedName(fileName, tag)), join(dir, fileName));
}

/** The hash of the ABP a staged file embeds, or undefined when there is no such file or it is unreadable. */
export async function stagedAbpHash(dir: string, fileName: string, tag: string): Promise<unknown> {
  try {
    return (JSON.parse(await readFile(join(dir, stagedName(fileName, tag)), 'utf8')) as { abp?: { hash?: unknown } }).abp?.hash;
  } catch {
    return undefined;
  }
}

export async function discardStaged(dir: string, fileName: string, tag: string): Promise<void> {
  await rm(join(dir, stagedName(fileName, tag)), { force: true });
}

/** Writes an export in place (first stamp, or repairing a file after a crash). */
export async function writeExport(dir: string, fileName: string, doc: ExportDocument): Promise<void> {
  const tag = `w${process.pid}`;
  await writeStaged(dir, fileName, tag, doc);
  await promoteStaged(dir, fileName, tag);
}

/** Reads an export file from disk and runs the gates on what is actually there. */
export async function gateFile(path: string, referenceHash: string): Promise<GateResult[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [{ gate: 'gate.abp_present', passed: false, detail: `file missing: ${path}` }];
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return [{ gate: 'gate.abp_json_valid', passed: false, detail: (error as Error).message }];
  }
  return gateExport(doc, referenceHash);
}
