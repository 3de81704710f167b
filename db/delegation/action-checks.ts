import type { Queryable } from '../pool';
import type { Action } from '../../domain/delegation/action';
import type { ActionVerdict } from '../../domain/delegation/validators';

/**
 * Records a checked action and its verdict; false when a check with this id is already recorded
 * (the same action_id checked again), so its escalations and provenance are not recorded twice.
 */
export async function insertActionCheck(
  q: Queryable,
  check: { checkId: string; abpId: string; abpHash: string | null; action: Action; verdict: ActionVerdict; checkedAt: Date },
): Promise<boolean> {
  const { action, verdict } = check;
  const inserted = await q.query(
    `INSERT INTO abp_action_checks (check_id, abp_id, abp_hash, agent_id, action, irreversible, decision, results, escalations, checked_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (check_id) DO NOTHING`,
    [check.checkId, check.abpId, check.abpHash, action.agent_id ?? null, JSON.stringify(action), action.irreversible, verdict.decision,
      JSON.stringify(verdict.results), JSON.stringify(verdict.escalations), check.checkedAt],
  );
  return inserted.rowCount === 1;
}
