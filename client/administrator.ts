import type { Queryable } from '../db/pool';
import { anyPrincipalHolds, findPrincipal, requirePrincipal, type Principal } from '../db/access/principals';
import { ADMIN_ROLE, requireRole } from '../domain/authorization';
import { invalid } from '../domain/errors';

/**
 * Administering Warden (principals, tokens, ABPs, guard policies, webhooks, agents) needs the
 * admin role, checked here where the CLI, the HTTP API and the TypeScript client all pass. No
 * actor at all is a usage error (400), the wrong one a refusal (403).
 */
export async function requireAdmin(q: Queryable, actor: string | null | undefined, action: string): Promise<Principal> {
  if (!actor)
    throw invalid(
      `as: to ${action} needs an administrator: name one (--as <principal>, WARDEN_PRINCIPAL, or the call's actor)`,
    );
  const who = await requirePrincipal(q, actor);
  requireRole(who, [ADMIN_ROLE], action);
  return who;
}

/**
 * The bootstrap rule for adding principals and creating or revoking tokens: while no principal
 * holds admin (a fresh installation), whoever runs the local CLI or client with the
 * installation's credentials may, so that the first admin can be made; from then on only an
 * admin may. The HTTP API never gets here without an admin token (its routes need admin).
 * Returns the actor to record: the admin, or during bootstrap the named principal if it exists.
 */
export async function requireAdminUnlessBootstrapping(
  q: Queryable,
  actor: string | null | undefined,
  action: string,
): Promise<string | null> {
  if (await anyPrincipalHolds(q, ADMIN_ROLE)) return (await requireAdmin(q, actor, action)).name;
  return actor ? ((await findPrincipal(q, actor))?.name ?? null) : null;
}
