import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import type { Action } from '../../domain/delegation/action';
import type { ActionOutcome } from '../../domain/delegation/action-outcome';
import type { ActionDecision, ActionVerdict } from '../../domain/delegation/validators';

/** A checked action as recorded, for the outcome reported after it. */
export interface CheckedActionRow {
  checkId: string;
  abpId: string;
  abpHash: string | null;
  agentId: string | null;
  action: Action;
  irreversible: boolean;
  decision: ActionDecision;
}

/** Locked (FOR UPDATE) so two reports of the same check cannot both pass the "not yet reported" test. */
export async function findActionCheck(
  q: Queryable,
  checkId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<CheckedActionRow | undefined> {
  const { rows } = await q.query<{
    check_id: string;
    abp_id: string;
    abp_hash: string | null;
    agent_id: string | null;
    action: Action;
    irreversible: boolean;
    decision: ActionDecision;
  }>(
    `SELECT check_id, abp_id, abp_hash, agent_id, action, irreversible, decision FROM abp_action_checks WHERE check_id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [checkId],
  );
  return rows[0] ? camelRow(rows[0]) : undefined;
}

export interface OutcomeRow {
  checkId: string;
  abpId: string;
  decision: ActionDecision;
  reportedBy: string | null;
  reportedAt: string;
}

export async function findOutcome(q: Queryable, checkId: string): Promise<OutcomeRow | undefined> {
  const { rows } = await q.query<{
    check_id: string;
    abp_id: string;
    decision: ActionDecision;
    reported_by: string | null;
    reported_at: Date;
  }>('SELECT check_id, abp_id, decision, reported_by, reported_at FROM abp_action_outcomes WHERE check_id = $1', [
    checkId,
  ]);
  return rows[0] ? camelRow(rows[0]) : undefined;
}

/** Records the outcome and its post_action verdict; false when the check already has one. */
export async function insertOutcome(
  q: Queryable,
  o: {
    check: CheckedActionRow;
    outcome: ActionOutcome;
    irreversible: boolean;
    verdict: ActionVerdict;
    reportedBy: string | null;
    reportedAt: Date;
  },
): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO abp_action_outcomes (check_id, abp_id, agent_id, outcome, irreversible, decision, results, escalations, reported_by, reported_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (check_id) DO NOTHING`,
    [
      o.check.checkId,
      o.check.abpId,
      o.check.agentId,
      JSON.stringify(o.outcome),
      o.irreversible,
      o.verdict.decision,
      JSON.stringify(o.verdict.results),
      JSON.stringify(o.verdict.escalations),
      o.reportedBy,
      o.reportedAt,
    ],
  );
  return r.rowCount === 1;
}
