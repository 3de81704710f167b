import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import { subscribedTo } from '../notifications/subscriptions';
import { PROVENANCE_HEAD_COLUMNS, provenanceHeadOf, type ProvenanceHead } from '../provenance/log';
import type { GateResult } from '../../domain/delegation/export-gates';
import type { ReviewStart } from '../../domain/delegation/review-start';
import type { ReviewPolicy } from '../../domain/delegation/schema';
import type { TriggerReading } from '../../domain/delegation/trigger-evaluation';

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
  /** When its timeout runs out (opened_at + policy.timeout_ms); null while queued or without a timeout. */
  deadlineAt: string | null;
  concludedAt: string | null;
}

/** A review row's columns as the driver returns them. */
export interface ReviewRowColumns {
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
  deadline_at: Date | null;
  concluded_at: Date | null;
}

/** The columns of ReviewRow, in its order. */
export const REVIEW_COLUMNS = `review_id, abp_id, abp_hash, trigger_id, severity, state, policy, reading, opened_by, workflow_started, outcome,
  queued_at, opened_at, deadline_at, concluded_at`;

export const reviewOf = (r: ReviewRowColumns): ReviewRow => camelRow(r);
const COLUMNS = REVIEW_COLUMNS;
const fromRow = reviewOf;

export function reviewStartOf(
  r: ReviewRow,
  triggerName: string,
  known: Pick<ReviewStart, 'openedSubscribed'> = {},
): ReviewStart {
  return {
    ...known,
    reviewId: r.reviewId,
    abpId: r.abpId,
    abpHash: r.abpHash,
    triggerId: r.triggerId,
    triggerName,
    severity: r.severity,
    policy: r.policy,
    openedBy: r.openedBy ?? 'monitor',
  };
}

export async function findReview(
  q: Queryable,
  reviewId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<ReviewRow | undefined> {
  const { rows } = await q.query<ReviewRowColumns>(
    `SELECT ${COLUMNS} FROM delegation_reviews WHERE review_id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [reviewId],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function findActiveReview(
  q: Queryable,
  abpId: string,
  triggerId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<ReviewRow | undefined> {
  const { rows } = await q.query<ReviewRowColumns>(
    `SELECT ${COLUMNS} FROM delegation_reviews WHERE abp_id = $1 AND trigger_id = $2 AND state IN ('queued', 'open')${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [abpId, triggerId],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function listReviews(
  q: Queryable,
  filter: { state?: ReviewState; abpId?: string } = {},
): Promise<ReviewRow[]> {
  const { rows } = await q.query<ReviewRowColumns>(
    `SELECT ${COLUMNS} FROM delegation_reviews
      WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR abp_id = $2)
      ORDER BY queued_at, review_id`,
    [filter.state ?? null, filter.abpId ?? null],
  );
  return rows.map(fromRow);
}

/**
 * Open reviews whose workflow has not been started yet, with whether any webhook subscription
 * wants review.opened read in the same statement (ReviewStart's `openedSubscribed`, as openings by
 * a person carry it), so that their workflows need no local activity to ask.
 */
export async function listUnstartedReviews(
  q: Queryable,
): Promise<{ rows: ReviewRow[]; openedSubscribed: boolean | undefined }> {
  const { rows } = await q.query<ReviewRowColumns & { opened_subscribed: boolean }>(
    `SELECT ${COLUMNS}, ${OPENED_SUBSCRIBED} AS opened_subscribed FROM delegation_reviews
      WHERE state = 'open' AND NOT workflow_started
      ORDER BY queued_at, review_id`,
  );
  return {
    rows: rows.map(({ opened_subscribed: _subscribed, ...row }) => fromRow(row)),
    openedSubscribed: rows[0]?.opened_subscribed,
  };
}

/**
 * Open reviews without a workflow whose deadline falls before `asOf` + `horizonMs` (oldest deadline
 * first), for a monitor pass to start: early enough that each review's own timer fires at its
 * deadline. `asOf` is the pass's workflow clock, not the database's (a time-skipping test server
 * moves the one and not the other). A review without a timeout is never due: only a vote starts it.
 */
export async function listReviewsDue(q: Queryable, due: { asOf: string; horizonMs: number }): Promise<ReviewRow[]> {
  const { rows } = await q.query<ReviewRowColumns>(
    `SELECT ${COLUMNS} FROM delegation_reviews
      WHERE state = 'open' AND NOT workflow_started
        AND deadline_at <= $1::timestamptz + $2::bigint * interval '1 millisecond'
      ORDER BY deadline_at, review_id`,
    [due.asOf, due.horizonMs],
  );
  return rows.map(fromRow);
}

/** A review to insert (see insertReviews). */
export interface NewReview {
  abpId: string;
  abpHash: string;
  triggerId: string;
  severity: 'warn' | 'critical';
  state: 'queued' | 'open';
  policy: ReviewPolicy;
  reading: unknown;
  openedBy: string | null;
  whileCurrent?: { abpId: string; abpHash: string };
}

/**
 * Inserts a queued or open review unless one is already active for the ABP and trigger (the
 * partial unique index decides, so concurrent evaluations cannot both insert), numbered after the
 * reviews of that ABP and trigger in the same statement. With `whileCurrent`, only while that ABP
 * version is still the active current one (a caller that read it before its transaction). Returns
 * the new row, or undefined when there was one already (or the ABP moved on).
 */
export async function insertReview(q: Queryable, r: NewReview): Promise<ReviewRow | undefined> {
  return (await insertReviews(q, [r]))[0];
}

/**
 * insertReview for several reviews in one statement. Returns the rows inserted, in no particular
 * order and without those skipped: a caller that needs all of them compares the count. Two of one
 * ABP and trigger would take the same number: the second is skipped.
 */
export async function insertReviews(q: Queryable, reviews: readonly NewReview[]): Promise<ReviewRow[]> {
  if (reviews.length === 0) return [];
  const { rows } = await q.query<ReviewRowColumns>(
    `${INSERT_REVIEWS} RETURNING ${COLUMNS}`,
    insertReviewsParams(reviews),
  );
  return rows.map(fromRow);
}

/**
 * insertReviews for a transaction that took APPEND_LOCK when it began (withTransaction's `lock`):
 * the same statement reads the provenance chain's head, so the caller appends the reviews'
 * entries with appendProvenanceAfterHead and no other round trip. `head` is undefined when no row
 * was inserted (the statement returned none to carry it).
 */
export async function insertReviewsReadingHead(
  q: Queryable,
  reviews: readonly NewReview[],
): Promise<{ rows: ReviewRow[]; head: ProvenanceHead | undefined; openedSubscribed: boolean | undefined }> {
  if (reviews.length === 0) return { rows: [], head: undefined, openedSubscribed: undefined };
  const { rows } = await q.query<
    ReviewRowColumns & { head_seq: number | null; head_hash: string | null; opened_subscribed: boolean }
  >(
    `WITH inserted AS (${INSERT_REVIEWS} RETURNING ${COLUMNS})
     SELECT inserted.*, ${PROVENANCE_HEAD_COLUMNS}, ${OPENED_SUBSCRIBED} AS opened_subscribed FROM inserted`,
    insertReviewsParams(reviews),
  );
  return {
    rows: rows.map(({ head_seq: _seq, head_hash: _hash, opened_subscribed: _subscribed, ...row }) => fromRow(row)),
    head: rows[0] ? provenanceHeadOf(rows[0]) : undefined,
    openedSubscribed: rows[0]?.opened_subscribed,
  };
}

/**
 * Whether any webhook subscription wants review.opened (hasSubscriberFor's question), read with
 * the insert so that the review workflow needs no local activity to ask it (ReviewStart's
 * `openedSubscribed`).
 */
const OPENED_SUBSCRIBED = subscribedTo(`'review.opened'`);

/** A review's deadline once opened at `openedAt` (SQL): null without a timeout (migration 020). */
const DEADLINE_AFTER = (openedAt: string, policy: string) =>
  `${openedAt} + (${policy}->>'timeout_ms')::bigint * interval '1 millisecond'`;

const INSERT_REVIEWS = `INSERT INTO delegation_reviews (review_id, abp_id, abp_hash, trigger_id, severity, state, policy, reading, opened_by, opened_at, deadline_at)
     SELECT i.abp_id || '.' || i.trigger_id || '.r' || (SELECT count(*) + 1 FROM delegation_reviews d WHERE d.abp_id = i.abp_id AND d.trigger_id = i.trigger_id),
            i.abp_id, i.abp_hash, i.trigger_id, i.severity, i.state, i.policy, i.reading, i.opened_by, CASE WHEN i.state = 'open' THEN now() END,
            CASE WHEN i.state = 'open' THEN ${DEADLINE_AFTER('now()', 'i.policy')} END
       FROM jsonb_to_recordset($1::jsonb) AS i(abp_id text, abp_hash text, trigger_id text, severity text, state text,
                                               policy jsonb, reading jsonb, opened_by text, current_id text, current_hash text)
      WHERE i.current_id IS NULL
         OR EXISTS (SELECT 1 FROM abp_current c WHERE c.abp_id = i.current_id AND c.abp_hash = i.current_hash AND c.status = 'active')
     ON CONFLICT DO NOTHING`;

const insertReviewsParams = (reviews: readonly NewReview[]) => [
  JSON.stringify(
    reviews.map((r) => ({
      abp_id: r.abpId,
      abp_hash: r.abpHash,
      trigger_id: r.triggerId,
      severity: r.severity,
      state: r.state,
      policy: r.policy,
      reading: r.reading ?? null,
      opened_by: r.openedBy,
      current_id: r.whileCurrent?.abpId ?? null,
      current_hash: r.whileCurrent?.abpHash ?? null,
    })),
  ),
];

export async function markOpened(q: Queryable, reviewId: string, principal: string): Promise<ReviewRow | undefined> {
  const { rows } = await q.query<ReviewRowColumns>(
    `UPDATE delegation_reviews SET state = 'open', opened_by = $2, opened_at = now(), deadline_at = ${DEADLINE_AFTER('now()', 'policy')}
      WHERE review_id = $1 AND state = 'queued' RETURNING ${COLUMNS}`,
    [reviewId, principal],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Marks reviews whose workflow has started: one statement however many; returns the rows as marked. */
export async function markWorkflowStarted(q: Queryable, reviewIds: readonly string[]): Promise<ReviewRow[]> {
  if (reviewIds.length === 0) return [];
  const { rows } = await q.query<ReviewRowColumns>(
    `UPDATE delegation_reviews SET workflow_started = true WHERE review_id = ANY($1::text[]) RETURNING ${COLUMNS}`,
    [reviewIds],
  );
  return rows.map(fromRow);
}

/** Moves an open review to a concluded state; false when it was no longer open (a retry). */
export async function concludeReviewRow(
  q: Queryable,
  reviewId: string,
  state: Exclude<ReviewState, 'queued' | 'open'>,
  outcome: unknown,
): Promise<boolean> {
  const r = await q.query(
    `UPDATE delegation_reviews SET state = $2, outcome = $3, concluded_at = now() WHERE review_id = $1 AND state = 'open'`,
    [reviewId, state, JSON.stringify(outcome)],
  );
  return r.rowCount === 1;
}

/** Keeps a failed application attempt on a review that stays open; false when it was not open. */
export async function recordFailedAttempt(q: Queryable, reviewId: string, outcome: unknown): Promise<boolean> {
  const r = await q.query(`UPDATE delegation_reviews SET outcome = $2 WHERE review_id = $1 AND state = 'open'`, [
    reviewId,
    JSON.stringify(outcome),
  ]);
  return r.rowCount === 1;
}

/** Export gates recorded when a review applied its output, per resulting ABP hash. */
export async function gatesByAppliedHash(q: Queryable, abpId: string): Promise<Map<string, GateResult[]>> {
  const { rows } = await q.query<{
    outcome: { next?: { abpHash?: string } | null; exports?: { gates: GateResult[] }[] } | null;
  }>(`SELECT outcome FROM delegation_reviews WHERE abp_id = $1 AND state = 'applied' AND outcome IS NOT NULL`, [abpId]);
  const gates = new Map<string, GateResult[]>();
  for (const { outcome } of rows) {
    const hash = outcome?.next?.abpHash;
    if (hash)
      gates.set(
        hash,
        (outcome.exports ?? []).flatMap((e) => e.gates),
      );
  }
  return gates;
}

/** Every open review with the time it opened (its queueing time if it never was opened by a person), oldest first. */
export async function openReviewTimes(
  q: Queryable,
): Promise<{ reviewId: string; abpId: string; triggerId: string; severity: string; openedAtMs: number }[]> {
  const { rows } = await q.query<{
    review_id: string;
    abp_id: string;
    trigger_id: string;
    severity: string;
    opened_at: Date;
  }>(
    `SELECT review_id, abp_id, trigger_id, severity, COALESCE(opened_at, queued_at) AS opened_at
       FROM delegation_reviews WHERE state = 'open' ORDER BY opened_at`,
  );
  return rows.map((r) => ({
    reviewId: r.review_id,
    abpId: r.abp_id,
    triggerId: r.trigger_id,
    severity: r.severity,
    openedAtMs: r.opened_at.getTime(),
  }));
}
