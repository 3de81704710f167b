import type { z } from 'zod';
import {
  authenticateToken,
  createApiToken,
  listApiTokens,
  revokeApiToken,
  type ApiTokenInfo,
  type TokenCheck,
  type tokenRequest,
} from '../db/access/api-tokens';
import { addPrincipal, listPrincipals, type Principal } from '../db/access/principals';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import { type Queryable } from '../db/pool';
import { notFound } from '../domain/errors';
import { requireAdminUnlessBootstrapping } from './administrator';
import type { WardenContext } from './context';

export type { ApiTokenInfo, Principal };
export { MAX_ROLES_PER_PRINCIPAL } from '../db/access/principals';

/**
 * `principal add` / `POST /api/v1/principals`: adds a principal and its roles for `actor`, an
 * admin (or anyone while no admin exists: see requireAdminUnlessBootstrapping), recording the
 * grant and its actor in the provenance log in the same transaction.
 */
export async function grantPrincipal(ctx: WardenContext, name: string, roles: string[], actor: string | null) {
  return withProvenanceTransaction(ctx.pool, async (tx) => {
    const recorded = await requireAdminUnlessBootstrapping(tx, actor, 'add principals or grant roles');
    return recordGrant(tx, ctx.provenanceKey, name, roles, recorded);
  });
}

/** The grant itself, unchecked: for the worker's first-start seed, which no person performs. */
export async function recordGrant(
  q: Queryable,
  provenanceKey: string,
  name: string,
  roles: string[],
  actor: string | null,
) {
  const result = await addPrincipal(q, name, roles);
  if (result.created || result.granted.length > 0) {
    await appendProvenance(q, provenanceKey, {
      kind: 'principal.granted',
      subject: `principal:${result.principal.name}`,
      actor,
      payload: { roles: result.granted, created: result.created },
    });
  }
  return result;
}

export function principals(ctx: WardenContext): Promise<Principal[]> {
  return listPrincipals(ctx.pool);
}

/**
 * `token create` / `POST /api/v1/tokens`: a bearer token for a principal, for `actor` (admin, or
 * anyone while no admin exists). The secret is returned once; provenance records the token's id.
 */
export async function createToken(
  ctx: WardenContext,
  input: z.input<typeof tokenRequest>,
  actor: string | null,
): Promise<{ token: string; info: ApiTokenInfo }> {
  return withProvenanceTransaction(ctx.pool, async (tx) => {
    const recorded = await requireAdminUnlessBootstrapping(tx, actor, 'create API tokens');
    const created = await createApiToken(tx, input);
    await appendProvenance(tx, ctx.provenanceKey, {
      kind: 'token.created',
      subject: `token:${created.info.id}`,
      actor: recorded,
      payload: { principal: created.info.principal, expires_at: created.info.expiresAt },
    });
    return created;
  });
}

/** Revokes a principal's API token at once (again is harmless), for `actor` as createToken; an unknown id is not found. */
export async function revokeToken(ctx: WardenContext, id: string, actor: string | null): Promise<ApiTokenInfo> {
  return withProvenanceTransaction(ctx.pool, async (tx) => {
    const recorded = await requireAdminUnlessBootstrapping(tx, actor, 'revoke API tokens');
    const revoked = await revokeApiToken(tx, id);
    if (!revoked) throw notFound(`token ${id}`);
    await appendProvenance(tx, ctx.provenanceKey, {
      kind: 'token.revoked',
      subject: `token:${id}`,
      actor: recorded,
      payload: { principal: revoked.principal },
    });
    return revoked;
  });
}

/** API tokens (never their secrets), of one principal or of all. */
export function tokens(ctx: WardenContext, principal?: string): Promise<ApiTokenInfo[]> {
  return listApiTokens(ctx.pool, principal);
}

/** The principal a presented bearer token speaks for, or why it speaks for nobody. */
export function checkToken(ctx: WardenContext, token: string): Promise<TokenCheck> {
  return authenticateToken(ctx.pool, token);
}
