import type { Queryable } from '../../db/pool';
import type { ReviewOutputKind, ReviewPolicy } from '../../domain/abp/schema';
import type { TriggerReading } from '../../domain/abp/trigger-evaluation';

export type ReviewState = 'queued' | 'open' | 'applied' | 'dismissed' | 'timed_out' | 'failed';

export interface ReviewRow {
  reviewId: string;
  abpId: string;
  abpHash: string;
  triggerId: string;
  severity: 'warn' | 'critical';
  state: ReviewState;
  policy: ReviewPolicy;
  reading: (TriggerReading & { triggerName?: string }) | null;
  openedBy: string | null;
  workflowStarted: boolean;
  outcome: unknown;
  queuedAt: string;
  openedAt: string | null;
  concludedAt: string | null;
}

export interface VoteRow {
  principal: string;
  decision: 'approve' | 'dismiss';
  outputHash: string | null;
  outputKind: ReviewOutputKind | null;
  outputAuthor: string | null;
  reason: string;
  votedAt: string;
}

interface Row {
  review_id: string;
  abp_id: string;
  abp_hash: string;
  trigger_id: string;
  severity: 'warn' | 'critical';
  state: ReviewState;
  policy: ReviewPolicy;
  reading: ReviewRow['reading'];
  opened_by: string | null;
  workflow_started: boolean;
  outcome: unknown;
  queued_at: Date;
  opened_at: Date | null;
  concluded_at: Date | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function fromRow(r: Row): ReviewRow {
  return {
    reviewId: r.review_id,
    abpId: r.abp_id,
    abpHash: r.abp_hash,
    triggerId: r.trigger_id,
    severity: r.severity,
    state: r.state,
    policy: r.policy,
    reading: r.reading,
    openedBy: r.opened_by,
    workflowStarted: r.workflow_started,
    outcome: r.outcome,
    queuedAt: r.queued_at.toISOString(),
    openedAt: iso(r.opened_at),
    concludedAt: iso(r.concluded_at),
  };
}

export async function findReview(q: Queryable, reviewId: string, opts: { forUpdate?: boolean } = {}): Promise<ReviewRow | undefined> {
  const { rows } = await q.query<Row>(`SELECT * FROM delegation_reviews WHERE review_id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [reviewId]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function findActiveReview(q: Queryable, abpId: string, triggerId: string, opts: { forUpdate?: boolean } = {}): Promise<ReviewRow | undefined> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM delegation_reviews WHERE abp_id = $1 AND trigger_id = $2 AND state IN ('queued', 'open')${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [abpId, triggerId],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function listReviews(q: Queryable, filter: { state?: ReviewState; abpId?: string; unstarted?: boolean } = {}): Promise<ReviewRow[]> {
  const { rows } = await q.query<Row>(
    `SELECT * FROM delegation_reviews
      WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR abp_id = $2) AND (NOT $3::boolean OR (state = 'open' AND NOT workflow_started))
      ORDER BY queued_at, review_id`,
    [filter.state ?? null, filter.abpId ?? null, filter.unstarted ?? false],
  );
  return rows.map(fromRow);
}

/**
 * Inserts a queued or open review unless one is already active for the ABP and trigger (the
 * partial unique index decides, so concurrent evaluations cannot both insert). Returns the new
 * row, or undefined when there was one already.
 */
export async function insertReview(
  q: Queryable,
  r: { abpId: string; abpHash: string; triggerId: string; severity: 'warn' | 'critical'; state: 'queued' | 'open'; policy: ReviewPolicy; reading: unknown; openedBy: string | null },
): Promise<ReviewRow | undefined> {
  const { rows: seq } = await q.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM delegation_reviews WHERE abp_id = $1 AND trigger_id = $2',
    [r.abpId, r.triggerId],
  );
  const reviewId = `${r.abpId}.${r.triggerId}.r${(seq[0]?.n ?? 0) + 1}`;
  const { rows } = await q.query<Row>(
    `INSERT INTO delegation_reviews (review_id, abp_id, abp_hash, trigger_id, severity, state, policy, reading, opened_by, opened_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $6 = 'open' THEN now() END)
     ON CONFLICT DO NOTHING RETURNING *`,
    [reviewId, r.abpId, r.abpHash, r.triggerId, r.severity, r.state, JSON.stringify(r.policy), JSON.stringify(r.reading), r.openedBy],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function markOpened(q: Queryable, reviewId: string, principal: string): Promise<ReviewRow | undefined> {
  const { rows } = await q.query<Row>(
    `UPDATE delegation_reviews SET state = 'open', opened_by = $2, opened_at = now() WHERE review_id = $1 AND state = 'queued' RETURNING *`,
    [reviewId, principal],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function markWorkflowStarted(q: Queryable, reviewId: string): Promise<void> {
  await q.query('UPDATE delegation_reviews SET workflow_started = true WHERE review_id = $1', [reviewId]);
}

/** Moves an open review to a concluded state; false when it was no longer open (a retry). */
export async function concludeReviewRow(q: Queryable, reviewId: string, state: Exclude<ReviewState, 'queued' | 'open'>, outcome: unknown): Promise<boolean> {
  const r = await q.query(
    `UPDATE delegation_reviews SET state = $2, outcome = $3, concluded_at = now() WHERE review_id = $1 AND state = 'open'`,
    [reviewId, state, JSON.stringify(outcome)],
  );
  return r.rowCount === 1;
}

/** Keeps a failed application attempt on a review that stays open; false when it was not open. */
export async function recordFailedAttempt(q: Queryable, reviewId: string, outcome: unknown): Promise<boolean> {
  const r = await q.query(`UPDATE delegation_reviews SET outcome = $2 WHERE review_id = $1 AND state = 'open'`, [reviewId, JSON.stringify(outcome)]);
  return r.rowCount === 1;
}

/** Removes the approvals of one output (it failed to apply); returns who had approved it. */
export async function voidApprovals(q: Queryable, reviewId: string, outputHash: string): Promise<string[]> {
  const { rows } = await q.query<{ principal: string }>(
    `DELETE FROM delegation_review_votes WHERE review_id = $1 AND decision = 'approve' AND output_hash = $2 RETURNING principal`,
    [reviewId, outputHash],
  );
  return rows.map((r) => r.principal).sort();
}

export async function listVotes(q: Queryable, reviewId: string): Promise<VoteRow[]> {
  const { rows } = await q.query<{ principal: string; decision: 'approve' | 'dismiss'; output_hash: string | null; kind: ReviewOutputKind | null; authored_by: string | null; reason: string; voted_at: Date }>(
    `SELECT v.principal, v.decision, v.output_hash, o.kind, o.authored_by, v.reason, v.voted_at
       FROM delegation_review_votes v LEFT JOIN delegation_review_outputs o ON o.review_id = v.review_id AND o.output_hash = v.output_hash
      WHERE v.review_id = $1 ORDER BY v.voted_at, v.principal`,
    [reviewId],
  );
  return rows.map((r) => ({
    principal: r.principal,
    decision: r.decision,
    outputHash: r.output_hash,
    outputKind: r.kind,
    outputAuthor: r.authored_by,
    reason: r.reason,
    votedAt: r.voted_at.toISOString(),
  }));
}

export interface StoredOutput {
  kind: ReviewOutputKind;
  document: unknown;
  authoredBy: string;
  /** When the output was first named: the clock of a replacement spec that gives none. */
  createdAt: string;
}

export async function findOutput(q: Queryable, reviewId: string, outputHash: string): Promise<StoredOutput | undefined> {
  const { rows } = await q.query<{ kind: ReviewOutputKind; document: unknown; authored_by: string; created_at: Date }>(
    'SELECT kind, document, authored_by, created_at FROM delegation_review_outputs WHERE review_id = $1 AND output_hash = $2',
    [reviewId, outputHash],
  );
  const r = rows[0];
  return r ? { kind: r.kind, document: r.document, authoredBy: r.authored_by, createdAt: r.created_at.toISOString() } : undefined;
}

/**
 * An output's author is the first principal whose approval of it was accepted: whoever stored it
 * first keeps the title only by voting for it, so a refused approver is never recorded as author.
 * Called in the transaction that records `voter`'s approval; returns the author.
 */
export async function claimAuthorship(q: Queryable, reviewId: string, outputHash: string, voter: string): Promise<string> {
  const { rows } = await q.query<{ authored_by: string }>(
    `UPDATE delegation_review_outputs o SET authored_by = CASE
        WHEN EXISTS (SELECT 1 FROM delegation_review_votes v WHERE v.review_id = o.review_id AND v.output_hash = o.output_hash
                      AND v.decision = 'approve' AND v.principal = o.authored_by) THEN o.authored_by
        ELSE $3 END
      WHERE o.review_id = $1 AND o.output_hash = $2 RETURNING authored_by`,
    [reviewId, outputHash, voter],
  );
  return rows[0]?.authored_by ?? voter;
}

export async function storeOutput(q: Queryable, reviewId: string, outputHash: string, kind: ReviewOutputKind, document: unknown, author: string): Promise<void> {
  await q.query(
    `INSERT INTO delegation_review_outputs (review_id, output_hash, kind, document, authored_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (review_id, output_hash) DO NOTHING`,
    [reviewId, outputHash, kind, JSON.stringify(document), author],
  );
}
