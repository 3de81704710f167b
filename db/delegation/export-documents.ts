import { exportText, type ExportRef, type ExportSink } from '../../domain/delegation/export-sink';
import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';

const CURRENT = 'current';
const stagedSlot = (tag: string) => `staged:${tag}`;

async function body(q: Queryable, exportId: string, slot: string): Promise<string | undefined> {
  const { rows } = await q.query<{ body: string }>(
    'SELECT body FROM abp_export_documents WHERE export_id = $1 AND slot = $2',
    [exportId, slot],
  );
  return rows[0]?.body;
}

async function put(q: Queryable, exportId: string, slot: string, text: string): Promise<void> {
  await q.query(
    `INSERT INTO abp_export_documents (export_id, slot, body) VALUES ($1, $2, $3)
     ON CONFLICT (export_id, slot) DO UPDATE SET body = EXCLUDED.body, written_at = now()`,
    [exportId, slot, text],
  );
}

/**
 * Export documents in PostgreSQL (WARDEN_EXPORT_SINK=postgres, the default): the text an export
 * file would hold, one row for the current document and one per staged one, so that every replica
 * reads and writes the same exports and none keeps them on its own disk. `q` is the pool, or the
 * client of a transaction that must see (and hold) what it writes.
 */
export function postgresExportSink(q: Queryable): ExportSink {
  return {
    kind: 'postgres',
    where: (ref: ExportRef) => `abp_export_documents/${ref.exportId}`,
    read: (ref) => body(q, ref.exportId, CURRENT),
    stage: (ref, tag, doc) => put(q, ref.exportId, stagedSlot(tag), exportText(doc)),
    readStaged: (ref, tag) => body(q, ref.exportId, stagedSlot(tag)),
    async promote(ref, tag) {
      // One statement: the staged row becomes the current one or, already promoted, nothing happens.
      await q.query(
        `WITH staged AS (DELETE FROM abp_export_documents WHERE export_id = $1 AND slot = $2 RETURNING body)
         INSERT INTO abp_export_documents (export_id, slot, body) SELECT $1, '${CURRENT}', body FROM staged
         ON CONFLICT (export_id, slot) DO UPDATE SET body = EXCLUDED.body, written_at = now()`,
        [ref.exportId, stagedSlot(tag)],
      );
    },
    async discard(ref, tag) {
      await q.query('DELETE FROM abp_export_documents WHERE export_id = $1 AND slot = $2', [
        ref.exportId,
        stagedSlot(tag),
      ]);
    },
  };
}

/**
 * Makes `docs` the current documents of their exports in one statement, inside the caller's
 * transaction, and gives back each body as the table stored it (RETURNING reads the rows written),
 * so a re-stamp gates what is stored without a staged copy: the transaction that moves the ABP
 * pointer commits the documents with it, or rolls them back with it. Anything left staged under
 * `tag` by an earlier attempt is dropped in the same statement.
 */
export async function writeCurrentDocuments(
  q: Queryable,
  tag: string,
  docs: { exportId: string; text: string }[],
): Promise<Map<string, string>> {
  if (docs.length === 0) return new Map();
  const { rows } = await q.query<{ export_id: string; body: string }>(
    `WITH dropped AS (DELETE FROM abp_export_documents WHERE export_id = ANY($1::text[]) AND slot = $3)
     INSERT INTO abp_export_documents (export_id, slot, body)
     SELECT u.export_id, '${CURRENT}', u.body FROM unnest($1::text[], $2::text[]) AS u(export_id, body)
     ON CONFLICT (export_id, slot) DO UPDATE SET body = EXCLUDED.body, written_at = now()
     RETURNING export_id, body`,
    [docs.map((d) => d.exportId), docs.map((d) => d.text), stagedSlot(tag)],
  );
  return new Map(rows.map((r) => [r.export_id, r.body]));
}

/** Exports with no current document in PostgreSQL (written by the file sink, or never written). */
export async function exportsWithoutDocument(
  q: Queryable,
): Promise<{ exportId: string; fileName: string; abpId: string }[]> {
  const { rows } = await q.query<{ export_id: string; file_name: string; abp_id: string }>(
    `SELECT e.export_id, e.file_name, e.abp_id FROM abp_exports e
     WHERE NOT EXISTS (SELECT 1 FROM abp_export_documents d WHERE d.export_id = e.export_id AND d.slot = '${CURRENT}')
     ORDER BY e.export_id`,
  );
  return rows.map(camelRow);
}

/** Stores a document as current unless one is already there; true when it was stored. */
export async function importExportDocument(q: Queryable, exportId: string, text: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO abp_export_documents (export_id, slot, body) VALUES ($1, '${CURRENT}', $2) ON CONFLICT (export_id, slot) DO NOTHING`,
    [exportId, text],
  );
  return (rowCount ?? 0) > 0;
}
