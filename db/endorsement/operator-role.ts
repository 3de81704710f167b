import type { Queryable } from '../pool';
import { requirePrincipal, type Principal } from '../access/principals';
import { requireRole } from '../../domain/authorization';
import { requireAgent } from './agents';

/**
 * Deciding, promoting, aborting and extending an agent's endorsements needs the role its settings
 * name (operatorRole, default `operator`). Checked by the client functions the CLI and the HTTP
 * API share, and again by the activities that record the change.
 */
export async function requireOperator(q: Queryable, agentId: string, principal: string): Promise<Principal> {
  const agent = await requireAgent(q, agentId);
  const who = await requirePrincipal(q, principal);
  requireRole(who, [agent.settings.operatorRole], `decide, promote, abort or extend endorsements of ${agentId}`);
  return who;
}
