import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import type { ReviewOutputKind } from '../../domain/delegation/schema';

export interface VoteRow {
  principal: string;
  decision: 'approve' | 'dismiss';
  outputHash: string | null;
  outputKind: ReviewOutputKind | null;
  outputAuthor: string | null;
  reason: string;
  votedAt: string;
}

export async function listVotes(q: Queryable, reviewId: string): Promise<VoteRow[]> {
  const { rows } = await q.query<{
    principal: string;
    decision: 'approve' | 'dismiss';
    output_hash: string | null;
    output_kind: ReviewOutputKind | null;
    output_author: string | null;
    reason: string;
    voted_at: Date;
  }>(
    `SELECT v.principal, v.decision, v.output_hash, o.kind AS output_kind, o.authored_by AS output_author, v.reason, v.voted_at
       FROM delegation_review_votes v LEFT JOIN delegation_review_outputs o ON o.review_id = v.review_id AND o.output_hash = v.output_hash
      WHERE v.review_id = $1 ORDER BY v.voted_at, v.principal`,
    [reviewId],
  );
  return rows.map(camelRow);
}

/** What a principal voted on a review, if anything. */
export async function findVote(
  q: Queryable,
  reviewId: string,
  principal: string,
): Promise<{ decision: string; outputHash: string | null } | undefined> {
  const { rows } = await q.query<{ decision: string; output_hash: string | null }>(
    'SELECT decision, output_hash FROM delegation_review_votes WHERE review_id = $1 AND principal = $2',
    [reviewId, principal],
  );
  return rows[0] ? camelRow(rows[0]) : undefined;
}

/** Records a vote; each principal votes once per review (the primary key). */
export async function insertVote(
  q: Queryable,
  vote: {
    reviewId: string;
    principal: string;
    decision: 'approve' | 'dismiss';
    outputHash: string | null;
    reason: string;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO delegation_review_votes (review_id, principal, decision, output_hash, reason) VALUES ($1, $2, $3, $4, $5)`,
    [vote.reviewId, vote.principal, vote.decision, vote.outputHash, vote.reason],
  );
}

/** Removes the approvals of one output (it failed to apply); returns who had approved it. */
export async function voidApprovals(q: Queryable, reviewId: string, outputHash: string): Promise<string[]> {
  const { rows } = await q.query<{ principal: string }>(
    `DELETE FROM delegation_review_votes WHERE review_id = $1 AND decision = 'approve' AND output_hash = $2 RETURNING principal`,
    [reviewId, outputHash],
  );
  return rows.map((r) => r.principal).sort();
}
