import type { Queryable } from '../pool';

/**
 * Agents held back under an ABP by a failing degrade post_action validator. The key is the
 * agent_id its actions name ('' for actions that name none): while a row is not cleared, every
 * check of that agent under that ABP is blocked.
 */
export const agentKey = (agentId: string | null | undefined) => agentId ?? '';

export async function insertDegradation(
  q: Queryable,
  d: { abpId: string; agentId: string | null; checkId: string; reason: string },
): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO abp_agent_degradations (abp_id, agent_key, check_id, reason) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [d.abpId, agentKey(d.agentId), d.checkId, d.reason],
  );
  return r.rowCount === 1;
}

/** The oldest degradation not yet cleared for this agent under this ABP. */
export async function findActiveDegradation(
  q: Queryable,
  abpId: string,
  agentId: string | null | undefined,
): Promise<{ checkId: string; reason: string } | undefined> {
  const { rows } = await q.query<{ check_id: string; reason: string }>(
    `SELECT check_id, reason FROM abp_agent_degradations WHERE abp_id = $1 AND agent_key = $2 AND cleared_at IS NULL
      ORDER BY degraded_at, check_id LIMIT 1`,
    [abpId, agentKey(agentId)],
  );
  return rows[0] ? { checkId: rows[0].check_id, reason: rows[0].reason } : undefined;
}

/** Whether any agent is held back under this ABP (a cached decision path then reads per agent). */
export async function anyActiveDegradation(q: Queryable, abpId: string): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM abp_agent_degradations WHERE abp_id = $1 AND cleared_at IS NULL LIMIT 1`,
    [abpId],
  );
  return rows.length > 0;
}

/** Clears every active degradation of the agent under the ABP; returns the checks that caused them. */
export async function clearDegradations(
  q: Queryable,
  c: { abpId: string; agentId: string | null; by: string; reason: string },
): Promise<string[]> {
  const { rows } = await q.query<{ check_id: string }>(
    `UPDATE abp_agent_degradations SET cleared_at = now(), cleared_by = $3, clear_reason = $4
      WHERE abp_id = $1 AND agent_key = $2 AND cleared_at IS NULL RETURNING check_id`,
    [c.abpId, agentKey(c.agentId), c.by, c.reason],
  );
  return rows.map((r) => r.check_id).sort();
}
