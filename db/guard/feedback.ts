import type pg from 'pg';
import type { Queryable } from '../pool';
import { chunksOf } from '../row-chunks';
import { conflict } from '../../domain/errors';
import { contentId } from '../../domain/guard/content-id';
import type { FeedbackRow } from '../../domain/guard/feedback-row';
import type { ReviewedEvidence } from '../../domain/guard/manifest';
import type { FeedbackSelection } from '../../domain/guard/source-ref';
import { INGEST_PHASES, type ProgressCallback } from '../../domain/progress';

export interface IngestResult {
  rows: number;
  inserted: number;
  unchanged: number;
}

const INSERT_FEEDBACK = `INSERT INTO guard_feedback_events
    (event_id, tenant_id, label, reviewer_id, prompt, response, metadata, occurred_at, row_hash)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[], $9::text[])
  ON CONFLICT (event_id) DO NOTHING
  RETURNING event_id`;

/** One statement's rows: their ids and content hashes, and the statement's parameters. */
interface FeedbackChunk {
  ids: string[];
  hashes: string[];
  params: unknown[];
}

/** A parsed batch made into its statements' parameters, before any transaction. */
export interface PreparedFeedback {
  rows: number;
  chunks: FeedbackChunk[];
}

/**
 * The statements' parameters of a parsed batch, computed before the transaction begins: hashing
 * every row (a canonical JSON and a SHA-256 each, about 1.3 s for 50,000 rows on the shared machine)
 * inside it held the provenance chain lock, and on PGlite its only session, that much longer.
 */
export function prepareFeedbackRows(rows: readonly FeedbackRow[]): PreparedFeedback {
  return {
    rows: rows.length,
    chunks: [...chunksOf(rows)].map((chunk) => {
      const ids = chunk.map((row) => row.metadata.event_id);
      const hashes = chunk.map((row) => contentId('', row));
      const params = [
        ids,
        chunk.map((row) => row.tenant_id),
        chunk.map((row) => row.label),
        chunk.map((row) => row.metadata.reviewer_id),
        chunk.map((row) => row.prompt),
        chunk.map((row) => row.response),
        chunk.map((row) => JSON.stringify(row.metadata)),
        chunk.map((row) => row.timestamp),
        hashes,
      ];
      return { ids, hashes, params };
    }),
  };
}

/**
 * Writes a prepared batch inside the caller's transaction, a chunk of rows per statement. A row
 * whose event_id is already stored with identical content is a no-op (retries and re-sent files
 * are safe); with different content it is a conflict that throws, and the caller's transaction
 * writes nothing. `onProgress` hears the rows written so far.
 */
export async function insertFeedbackRows(
  tx: pg.PoolClient,
  batch: PreparedFeedback,
  lineOf: (index: number) => number,
  onProgress?: ProgressCallback,
): Promise<IngestResult> {
  let inserted = 0;
  let unchanged = 0;
  let offset = 0;
  onProgress?.(0, batch.rows, INGEST_PHASES.storing);
  for (const { ids, hashes, params } of batch.chunks) {
    const written = await tx.query<{ event_id: string }>(INSERT_FEEDBACK, params);
    inserted += written.rows.length;
    const fresh = new Set(written.rows.map((r) => r.event_id));
    const skipped = ids.filter((id) => !fresh.has(id));
    if (skipped.length > 0) {
      const existing = await tx.query<{ event_id: string; row_hash: string }>(
        'SELECT event_id, row_hash FROM guard_feedback_events WHERE event_id = ANY($1::text[])',
        [skipped],
      );
      const storedHash = new Map(existing.rows.map((r) => [r.event_id, r.row_hash]));
      // In file order, so the refusal names the first conflicting line as it always has.
      for (const [i, id] of ids.entries()) {
        if (fresh.has(id)) continue;
        if (storedHash.get(id) !== hashes[i]) {
          const line = lineOf(offset + i);
          throw conflict(
            `line ${line}: metadata.event_id ${id} is already stored with different content; nothing was written`,
            {
              line,
              field: 'metadata.event_id',
            },
          );
        }
        unchanged += 1;
      }
    }
    offset += ids.length;
    onProgress?.(offset, batch.rows, INGEST_PHASES.storing);
  }
  return { rows: batch.rows, inserted, unchanged };
}

/** The reviewed events a selection covers: ids, reviewers and labels only, never text. */
export async function selectReviewedEvidence(q: Queryable, selection: FeedbackSelection): Promise<ReviewedEvidence[]> {
  const { rows } = await q.query<ReviewedEvidence>(
    `SELECT event_id, reviewer_id, label FROM guard_feedback_events
      WHERE (cardinality($1::text[]) = 0 OR tenant_id = ANY($1::text[]))
        AND (cardinality($2::text[]) = 0 OR label = ANY($2::text[]))
        AND (cardinality($3::text[]) = 0 OR reviewer_id = ANY($3::text[]))
        AND ($4::timestamptz IS NULL OR occurred_at >= $4::timestamptz)
        AND ($5::timestamptz IS NULL OR occurred_at < $5::timestamptz)
      ORDER BY event_id`,
    [selection.tenants, selection.labels, selection.reviewers, selection.since ?? null, selection.until ?? null],
  );
  return rows;
}
