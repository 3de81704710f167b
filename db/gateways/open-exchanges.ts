import type { Queryable } from '../pool';

/**
 * An exchange opened by a gateway's request phase. Opening the same call again (a retried request)
 * keeps the latest prompt.
 */
export async function openGatewayExchange(
  q: Queryable,
  e: { callId: string; agentId: string; kernelVersion: number; prompt: string },
): Promise<void> {
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
