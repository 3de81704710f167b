import type { Queryable } from '../pool';
import type { TriggerCondition } from '../../domain/delegation/trigger-conditions';
import { inScope } from './trigger-measures';

/**
 * The rows a trigger's count is made of, as `measureTriggerSql` counts them (the same tables, the
 * same scope), newest first and a page at a time. Only ids, names, times and values: never a
 * signal's summary, a claim's statement or an action's data, which may quote what an agent was told.
 */
export type EvidenceRow =
  | {
      kind: 'drift_signal';
      id: string;
      at: string;
      fingerprintKey: string;
      type: string;
      severity: string;
      /** How many signals of this fingerprint key are in scope (DRT-001 counts the largest). */
      keyCount: number;
    }
  | {
      kind: 'blocked_action';
      id: string;
      at: string;
      /** `check`: blocked before it ran; `outcome`: a post_action validator blocked it afterwards. */
      stage: 'check' | 'outcome';
      agentId: string | null;
      tool: string | null;
      objective: string | null;
    }
  | { kind: 'coherence_run'; id: string; at: string; score: number }
  | { kind: 'expired_claim'; id: string; at: string; observedAt: string | null };

export interface EvidencePage {
  total: number;
  rows: EvidenceRow[];
}

// $1 abp_id, $2 now, $3 window_days, $4 since (inScope's parameters); $5 limit, $6 offset; $7 the coherence bar.
// Each selects id, at and the kind's own columns as a..d (text), n (number) and t (a second time).
const EVIDENCE_SQL: Record<TriggerCondition['kind'], string> = {
  recurring_fingerprint: `SELECT signal_id AS id, observed_at AS at, fingerprint_key AS a, type AS b, severity AS c,
      NULL AS d, (count(*) OVER (PARTITION BY fingerprint_key))::float8 AS n, NULL::timestamptz AS t
    FROM drift_signals WHERE abp_id = $1 AND ${inScope('observed_at')}`,
  blocked_actions: `SELECT check_id AS id, checked_at AS at, 'check' AS a, agent_id AS b, action->>'tool' AS c,
      action->>'objective' AS d, NULL::float8 AS n, NULL::timestamptz AS t
    FROM abp_action_checks WHERE abp_id = $1 AND irreversible AND decision = 'blocked' AND ${inScope('checked_at')}
    UNION ALL
    SELECT o.check_id, o.reported_at, 'outcome', o.agent_id, k.action->>'tool', k.action->>'objective', NULL, NULL
    FROM abp_action_outcomes o JOIN abp_action_checks k ON k.check_id = o.check_id
    WHERE o.abp_id = $1 AND o.irreversible AND o.decision = 'blocked' AND ${inScope('o.reported_at')}`,
  coherence_drop: `SELECT r.run_id AS id, r.observed_at AS at, NULL AS a, NULL AS b, NULL AS c, NULL AS d,
      r.score AS n, NULL::timestamptz AS t
    FROM coherence_runs r
    WHERE r.abp_id = $1 AND ${inScope('r.observed_at')}
      AND r.observed_at > coalesce((
        SELECT max(p.observed_at) FROM coherence_runs p
         WHERE p.abp_id = $1 AND p.score >= $7 AND ${inScope('p.observed_at')}), '-infinity'::timestamptz)`,
  expired_claims: `SELECT claim_id AS id, expires_at AS at, NULL AS a, NULL AS b, NULL AS c, NULL AS d,
      NULL::float8 AS n, observed_at AS t
    FROM claims WHERE abp_id = $1 AND ${inScope('expires_at')}`,
};

interface Row {
  total: string;
  id: string | null;
  at: Date | null;
  a: string | null;
  b: string | null;
  c: string | null;
  d: string | null;
  n: number | null;
  t: Date | null;
}

function toEvidenceRow(kind: TriggerCondition['kind'], r: Row): EvidenceRow {
  const id = r.id!;
  const at = r.at!.toISOString();
  switch (kind) {
    case 'recurring_fingerprint':
      return { kind: 'drift_signal', id, at, fingerprintKey: r.a!, type: r.b!, severity: r.c!, keyCount: Number(r.n) };
    case 'blocked_actions':
      return {
        kind: 'blocked_action',
        id,
        at,
        stage: r.a as 'check' | 'outcome',
        agentId: r.b,
        tool: r.c,
        objective: r.d,
      };
    case 'coherence_drop':
      return { kind: 'coherence_run', id, at, score: Number(r.n) };
    case 'expired_claims':
      return { kind: 'expired_claim', id, at, observedAt: r.t?.toISOString() ?? null };
  }
}

/** One page of the rows behind `condition`'s count for `abpId` in `scope`, newest first, with their total. */
export async function triggerEvidenceRows(
  q: Queryable,
  abpId: string,
  condition: TriggerCondition,
  scope: { now: Date; since: Date | null },
  page: { limit: number; offset: number },
): Promise<EvidencePage> {
  const bar = condition.kind === 'coherence_drop' ? [condition.coherenceLt] : [];
  // One round trip: the total, and the page joined to it (no page rows past the end, the total still).
  const { rows } = await q.query<Row>(
    `WITH ev AS (${EVIDENCE_SQL[condition.kind]})
     SELECT t.total, p.* FROM (SELECT count(*) AS total FROM ev) t
     LEFT JOIN LATERAL (SELECT * FROM ev ORDER BY at DESC, id DESC LIMIT $5 OFFSET $6) p ON true`,
    [abpId, scope.now, condition.windowDays, scope.since, page.limit, page.offset, ...bar],
  );
  return {
    total: Number(rows[0]?.total ?? 0),
    rows: rows.filter((r) => r.id !== null).map((r) => toEvidenceRow(condition.kind, r)),
  };
}

/**
 * When the last applied or dismissed review of the ABP and trigger before `before` concluded: the
 * `since` a review queued at `before` was counted from (evidence up to it had been handled).
 */
export async function concludedBefore(
  q: Queryable,
  abpId: string,
  triggerId: string,
  before: Date,
): Promise<Date | null> {
  const { rows } = await q.query<{ concluded_at: Date }>(
    `SELECT concluded_at FROM delegation_reviews
      WHERE abp_id = $1 AND trigger_id = $2 AND state IN ('applied', 'dismissed') AND concluded_at < $3
      ORDER BY concluded_at DESC LIMIT 1`,
    [abpId, triggerId, before],
  );
  return rows[0]?.concluded_at ?? null;
}
