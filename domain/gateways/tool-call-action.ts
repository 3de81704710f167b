import type { ActionInput } from '../delegation/action';
import type { GatewayTarget } from './gateway-target';

/** A tool call as both OpenAI's API and LiteLLM's guardrail hand it over. */
export interface GatewayToolCall {
  id?: string | undefined;
  function: { name: string; arguments?: string | undefined };
}

/** An objective no ABP allows: a call made without one is denied with a reason that says why. */
export const UNSPECIFIED_OBJECTIVE = 'unspecified (set the gateway objective)';

/**
 * One tool call as an action under the agent's ABP. `reference` makes the check idempotent: the
 * same call checked again (a retried request) records one verdict.
 */
export function toolCallAction(
  target: GatewayTarget,
  abpHash: string,
  call: GatewayToolCall,
  reference: string,
): ActionInput {
  return {
    action_id: reference.slice(0, 200),
    agent_id: target.agent,
    abp_hash: abpHash,
    objective: target.objective ?? UNSPECIFIED_OBJECTIVE,
    tool: call.function.name,
    irreversible: target.irreversibleTools.includes(call.function.name),
    ...(target.role ? { role: target.role } : {}),
  };
}
