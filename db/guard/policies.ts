import type { Queryable } from '../pool';
import { canonicalJson } from '../../domain/canonical-json';
import { conflict, notFound } from '../../domain/errors';
import type { GuardPolicy } from '../../domain/guard/policy';

export async function requirePolicy(q: Queryable, policyId: string): Promise<GuardPolicy> {
  const { rows } = await q.query<GuardPolicy>(
    'SELECT policy_id, risk_envelope, approver_role FROM guard_policies WHERE policy_id = $1',
    [policyId],
  );
  if (!rows[0]) throw notFound(`policy ${policyId}`);
  return rows[0];
}

/**
 * Policies are immutable once created: proposals refer to them, and changing an envelope under a
 * pending proposal would change what its approver agreed to. Creating the same policy again is a
 * no-op; a different one under the same id is a conflict.
 */
export async function insertPolicy(
  q: Queryable,
  policy: GuardPolicy,
  actor: string | null,
): Promise<{ policy: GuardPolicy; created: boolean }> {
  const result = await q.query(
    `INSERT INTO guard_policies (policy_id, risk_envelope, approver_role, created_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (policy_id) DO NOTHING`,
    [policy.policy_id, JSON.stringify(policy.risk_envelope), policy.approver_role, actor],
  );
  if (result.rowCount === 1) return { policy, created: true };
  const existing = await requirePolicy(q, policy.policy_id);
  if (canonicalJson(existing) !== canonicalJson(policy)) {
    throw conflict(
      `policy ${policy.policy_id} already exists with a different envelope or approver role; policies are immutable, create a new id`,
    );
  }
  return { policy: existing, created: false };
}
