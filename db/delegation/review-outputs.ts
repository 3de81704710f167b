import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import type { ReviewOutputKind } from '../../domain/delegation/schema';

export interface StoredOutput {
  kind: ReviewOutputKind;
  document: unknown;
  authoredBy: string;
  /** When the output was first named: the clock of a replacement spec that gives none. */
  createdAt: string;
}

export async function findOutput(
  q: Queryable,
  reviewId: string,
  outputHash: string,
): Promise<StoredOutput | undefined> {
  const { rows } = await q.query<{ kind: ReviewOutputKind; document: unknown; authored_by: string; created_at: Date }>(
    'SELECT kind, document, authored_by, created_at FROM delegation_review_outputs WHERE review_id = $1 AND output_hash = $2',
    [reviewId, outputHash],
  );
  return rows[0] ? camelRow(rows[0]) : undefined;
}

/**
 * Records `voter`'s approval of an output and settles the output's author in one statement. The
 * author is the first principal whose approval of it was accepted: whoever stored it first keeps
 * the title only by voting for it, so a refused approver is never recorded as author. (The vote
 * inserted by the same statement is not visible to its author check, which needs it only when the
 * author is the voter, who keeps the title either way.) Called in the transaction that checked the
 * vote; returns the author.
 */
export async function recordApproval(
  q: Queryable,
  vote: { reviewId: string; principal: string; outputHash: string; reason: string },
): Promise<string> {
  const { rows } = await q.query<{ authored_by: string }>(
    `WITH vote AS (
       INSERT INTO delegation_review_votes (review_id, principal, decision, output_hash, reason)
       VALUES ($1, $2, 'approve', $3, $4) RETURNING review_id)
     UPDATE delegation_review_outputs o SET authored_by = CASE
        WHEN EXISTS (SELECT 1 FROM delegation_review_votes v WHERE v.review_id = o.review_id AND v.output_hash = o.output_hash
                      AND v.decision = 'approve' AND v.principal = o.authored_by) THEN o.authored_by
        ELSE $2 END
       FROM vote WHERE o.review_id = vote.review_id AND o.output_hash = $3 RETURNING o.authored_by`,
    [vote.reviewId, vote.principal, vote.outputHash, vote.reason],
  );
  return rows[0]?.authored_by ?? vote.principal;
}

export async function storeOutput(
  q: Queryable,
  reviewId: string,
  outputHash: string,
  kind: ReviewOutputKind,
  document: unknown,
  author: string,
): Promise<void> {
  await q.query(
    `INSERT INTO delegation_review_outputs (review_id, output_hash, kind, document, authored_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (review_id, output_hash) DO NOTHING`,
    [reviewId, outputHash, kind, JSON.stringify(document), author],
  );
}
