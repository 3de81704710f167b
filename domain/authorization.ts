import { z } from 'zod';
import { forbidden } from './errors';

export const roleNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'a letter, then letters, digits and . _ -, at most 64 characters');

/** The role that administers Warden itself: principals, tokens, webhooks, policies, agents. */
export const ADMIN_ROLE = 'admin';

/** The default role that may decide, promote, abort or extend an agent's endorsements. */
export const DEFAULT_OPERATOR_ROLE = 'operator';

/**
 * Refuses (403) a principal that holds none of `roles`. Every action that changes something calls
 * this where the CLI, the HTTP API and the TypeScript client all pass (the client functions or
 * the activities behind them), never only in the HTTP routes.
 */
export function requireRole(
  principal: { name: string; roles: readonly string[] },
  roles: readonly string[],
  action: string,
): void {
  if (roles.some((r) => principal.roles.includes(r))) return;
  const held = principal.roles.length > 0 ? principal.roles.join(', ') : 'no role';
  throw forbidden(
    `${principal.name} may not ${action}: that needs the role ${roles.join(' or ')} (${principal.name} holds ${held})`,
  );
}
