import type { Queryable } from '../pool';
import { requirePrincipal, type Principal } from '../access/principals';
import { requireRole } from '../../domain/authorization';
import { requireAgent } from './agents';

/**
 * Proposing a rule for an agent (endorse) and deciding, promoting, aborting and extending its
 * endorsements need the role its settings name (operatorRole, default `operator`). Checked by the
 * client functions the CLI and the HTTP API share, and again by the activities that record the change.
 */
export async function requireOperator(
  q: Queryable,
  agentId: string,
  principal: string,
  action = `decide, promote, abort or extend endorsements of ${agentId}`,
): Promise<Principal> {
  const agent = await requireAgent(q, agentId);
  const who = await requirePrincipal(q, principal);
  requireRole(who, [agent.settings.operatorRole], action);
  return who;
}

/** What endorsing is called in a refusal. */
export const endorseAction = (agentId: string) => `endorse rules for ${agentId}`;
