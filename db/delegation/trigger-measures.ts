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

/** $1 abp_id, $2 now, $3 window_days (null: none), $4 since (null: none); `col` is the evidence time. */
export const inScope = (col: string) =>
  `${col} <= $2 AND ($3::int IS NULL OR ${col} >= $2::timestamptz - make_interval(days => $3::int)) AND ($4::timestamptz IS NULL OR ${col} > $4)`;

export async function measureTriggerSql(
  q: Queryable,
  abpId: string,
  condition: TriggerCondition,
  scope: { now: Date; since: Date | null },
): Promise<number> {
  const base = [abpId, scope.now, condition.windowDays, scope.since];
  const count = async (sql: string, extra: unknown[] = []) => {
    const { rows } = await q.query<{ n: number }>(sql, [...base, ...extra]);
    return rows[0]?.n ?? 0;
  };
  switch (condition.kind) {
    case 'recurring_fingerprint':
      return count(
        `SELECT coalesce(max(n), 0)::int AS n FROM (
           SELECT count(*) AS n FROM drift_signals WHERE abp_id = $1 AND ${inScope('observed_at')} GROUP BY fingerprint_key) per_key`,
      );
    case 'blocked_actions':
      // Blocked checks, and outcomes a post_action validator blocked after the fact.
      return count(
        `SELECT ((SELECT count(*) FROM abp_action_checks
                   WHERE abp_id = $1 AND irreversible AND decision = 'blocked' AND ${inScope('checked_at')})
               + (SELECT count(*) FROM abp_action_outcomes
                   WHERE abp_id = $1 AND irreversible AND decision = 'blocked' AND ${inScope('reported_at')}))::int AS n`,
      );
    case 'coherence_drop':
      // The streak of newest runs below the bar: the runs after the newest run at or above it.
      return count(
        `SELECT count(*)::int AS n FROM coherence_runs r
          WHERE r.abp_id = $1 AND ${inScope('r.observed_at')}
            AND r.observed_at > coalesce((
              SELECT max(p.observed_at) FROM coherence_runs p
               WHERE p.abp_id = $1 AND p.score >= $5 AND ${inScope('p.observed_at')}), '-infinity'::timestamptz)`,
        [condition.coherenceLt],
      );
    case 'expired_claims':
      return count(`SELECT count(*)::int AS n FROM claims WHERE abp_id = $1 AND ${inScope('expires_at')}`);
  }
}
