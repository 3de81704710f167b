import type pg from 'pg';
import type { Queryable } from '../../db/pool';
import { conflict } from '../../domain/errors';
import { contentId } from '../../domain/guard/content-id';
import type { FeedbackRow } from '../../domain/guard/feedback-row';
import type { ReviewedEvidence } from '../../domain/guard/manifest';
import type { FeedbackSelection } from '../../domain/guard/source-ref';

export interface IngestResult {
  rows: number;
  inserted: number;
  unchanged: number;
}

/**
 * Writes a parsed batch inside the caller's transaction. A row whose event_id is already stored
 * with identical content is a no-op (retries and re-sent files are safe); with different content
 * it is a conflict that throws, and the caller's transaction writes nothing.
 */
export async function insertFeedbackRows(tx: pg.PoolClient, rows: readonly FeedbackRow[], lineOf: (index: number) => number): Promise<IngestResult> {
  let inserted = 0;
  let unchanged = 0;
  for (const [index, row] of rows.entries()) {
    const rowHash = contentId('', row);
    const result = await tx.query(
      `INSERT INTO guard_feedback_events
         (event_id, tenant_id, label, reviewer_id, prompt, response, metadata, occurred_at, row_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (event_id) DO NOTHING`,
      [
        row.metadata.event_id,
        row.tenant_id,
        row.label,
        row.metadata.reviewer_id,
        row.prompt,
        row.response,
        JSON.stringify(row.metadata),
        row.timestamp,
        rowHash,
      ],
    );
    if (result.rowCount === 1) {
      inserted += 1;
      continue;
    }
    const existing = await tx.query<{ row_hash: string }>('SELECT row_hash FROM guard_feedback_events WHERE event_id = $1', [
      row.metadata.event_id,
    ]);
    if (existing.rows[0]?.row_hash !== rowHash) {
      throw conflict(
        `line ${lineOf(index)}: metadata.event_id ${row.metadata.event_id} is already stored with different content; nothing was written`,
        { line: lineOf(index), field: 'metadata.event_id' },
      );
    }
    unchanged += 1;
  }
  return { rows: rows.length, inserted, unchanged };
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
