import type { Queryable } from '../pool';
import type { TriggerCondition } from '../../domain/delegation/trigger-conditions';

/**
 * DRT-001..004 as indexed SQL, with the semantics of domain/delegation/trigger-evidence.ts: evidence in
 * the window [now − window_days, now] (no lower bound without window_days) and strictly after
 * `since`, the end of the last applied or dismissed review of the same ABP and trigger.
 */
export interface ReviewMarks {
  /** End of the last applied or dismissed review: evidence up to it was handled. */
  since: Date | null;
  /** The queued or open review, if any (at most one: the partial unique index). */
  active: { reviewId: string; state: string } | null;
}

/** The review marks of each of `triggerIds` in one round trip (each lookup an index probe). */
export async function reviewMarks(
  q: Queryable,
  abpId: string,
  triggerIds: string[],
): Promise<Map<string, ReviewMarks>> {
  const { rows } = await q.query<{
    trigger_id: string;
    since: Date | null;
    review_id: string | null;
    state: string | null;
  }>(
    `SELECT t.id AS trigger_id,
            (SELECT c.concluded_at FROM delegation_reviews c
              WHERE c.abp_id = $1 AND c.trigger_id = t.id AND c.state IN ('applied', 'dismissed')
              ORDER BY c.concluded_at DESC LIMIT 1) AS since,
            a.review_id, a.state
       FROM unnest($2::text[]) AS t(id)
       LEFT JOIN delegation_reviews a ON a.abp_id = $1 AND a.trigger_id = t.id AND a.state IN ('queued', 'open')`,
    [abpId, triggerIds],
  );
  return new Map(
    rows.map((r) => [
      r.trigger_id,
      { since: r.since, active: r.review_id ? { reviewId: r.review_id, state: r.state! } : null },
    ]),
  );
}

/**
 * The SQL expressions a measure is written over: the parameters of one trigger's statement
 * (PARAMS), or the columns of a row of asked triggers when many are measured in one statement.
 */
export interface MeasureRefs {
  abpId: string;
  now: string;
  /** int, or NULL for no window. */
  windowDays: string;
  /** timestamptz, or NULL: evidence up to it was handled. */
  since: string;
  coherenceLt: string;
}

/** $1 abp_id, $2 now, $3 window_days (null: none), $4 since (null: none), $5 the coherence bar. */
const PARAMS: MeasureRefs = {
  abpId: '$1',
  now: '$2',
  windowDays: '$3::int',
  since: '$4::timestamptz',
  coherenceLt: '$5',
};

/** Evidence time `col` is in the trigger's scope: in the window up to now, and after `since`. */
export const inScope = (col: string, r: MeasureRefs = PARAMS) =>
  `${col} <= ${r.now} AND (${r.windowDays} IS NULL OR ${col} >= ${r.now}::timestamptz - make_interval(days => ${r.windowDays})) AND (${r.since} IS NULL OR ${col} > ${r.since})`;

/** A trigger kind's count as one scalar SQL expression over `r`. */
export function measureSql(kind: TriggerCondition['kind'], r: MeasureRefs): string {
  switch (kind) {
    case 'recurring_fingerprint':
      return `(SELECT coalesce(max(n), 0) FROM (
                SELECT count(*) AS n FROM drift_signals WHERE abp_id = ${r.abpId} AND ${inScope('observed_at', r)} GROUP BY fingerprint_key) per_key)`;
    case 'blocked_actions':
      // Blocked checks, and outcomes a post_action validator blocked after the fact.
      return `((SELECT count(*) FROM abp_action_checks
                 WHERE abp_id = ${r.abpId} AND irreversible AND decision = 'blocked' AND ${inScope('checked_at', r)})
             + (SELECT count(*) FROM abp_action_outcomes
                 WHERE abp_id = ${r.abpId} AND irreversible AND decision = 'blocked' AND ${inScope('reported_at', r)}))`;
    case 'coherence_drop':
      // The streak of newest runs below the bar: the runs after the newest run at or above it.
      return `(SELECT count(*) FROM coherence_runs cr
                WHERE cr.abp_id = ${r.abpId} AND ${inScope('cr.observed_at', r)}
                  AND cr.observed_at > coalesce((
                    SELECT max(p.observed_at) FROM coherence_runs p
                     WHERE p.abp_id = ${r.abpId} AND p.score >= ${r.coherenceLt} AND ${inScope('p.observed_at', r)}), '-infinity'::timestamptz))`;
    case 'expired_claims':
      return `(SELECT count(*) FROM claims WHERE abp_id = ${r.abpId} AND ${inScope('expires_at', r)})`;
  }
}

export async function measureTriggerSql(
  q: Queryable,
  abpId: string,
  condition: TriggerCondition,
  scope: { now: Date; since: Date | null },
): Promise<number> {
  // $5 only where the statement uses it: a parameter PostgreSQL cannot type is an error.
  const params = [abpId, scope.now, condition.windowDays, scope.since];
  if (condition.kind === 'coherence_drop') params.push(condition.coherenceLt);
  const { rows } = await q.query<{ n: number }>(`SELECT ${measureSql(condition.kind, PARAMS)}::int AS n`, params);
  return rows[0]?.n ?? 0;
}
