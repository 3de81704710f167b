import type { Queryable } from '../pool';

/**
 * An exchange opened by a gateway's request phase. Opening the same call again (a retried request)
 * keeps the latest prompt. Exchanges whose response phase never came (the call failed, was blocked
 * by another guardrail, or the proxy went away) are deleted here, once older than `ttlSeconds`: no
 * periodic job is needed, the table stays bounded by the traffic of one TTL, and deleting is
 * idempotent. The index on opened_at keeps the sweep to the expired rows.
 */
export async function openGatewayExchange(
  q: Queryable,
  e: { callId: string; agentId: string; kernelVersion: number; prompt: string },
  ttlSeconds: number,
): Promise<void> {
  await expireGatewayExchanges(q, ttlSeconds);
  await q.query(
    `INSERT INTO gateway_exchanges (call_id, agent_id, kernel_version, prompt) VALUES ($1, $2, $3, $4)
     ON CONFLICT (call_id) DO UPDATE SET prompt = EXCLUDED.prompt, kernel_version = EXCLUDED.kernel_version, opened_at = now()`,
    [e.callId, e.agentId, e.kernelVersion, e.prompt],
  );
}

/** Takes the opened exchange back (once): its prompt, or null when no request phase opened it. */
export async function takeGatewayExchange(
  q: Queryable,
  callId: string,
): Promise<{ agentId: string; prompt: string } | null> {
  const { rows } = await q.query<{ agent_id: string; prompt: string }>(
    `DELETE FROM gateway_exchanges WHERE call_id = $1 RETURNING agent_id, prompt`,
    [callId],
  );
  return rows[0] ? { agentId: rows[0].agent_id, prompt: rows[0].prompt } : null;
}

/** Deletes the exchanges opened more than `ttlSeconds` ago and never answered; how many went. */
export async function expireGatewayExchanges(q: Queryable, ttlSeconds: number): Promise<number> {
  const r = await q.query(`DELETE FROM gateway_exchanges WHERE opened_at < now() - make_interval(secs => $1)`, [
    ttlSeconds,
  ]);
  return r.rowCount ?? 0;
}
