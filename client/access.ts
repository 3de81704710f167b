import type { z } from 'zod';
import {
  authenticateToken, createApiToken, listApiTokens, revokeApiToken, type ApiTokenInfo, type TokenCheck, type tokenRequest,
} from '../db/access/api-tokens';
import { addPrincipal, listPrincipals, type Principal } from '../db/access/principals';
import { appendProvenance } from '../db/provenance/log';
import { withTransaction } from '../db/pool';
import { notFound } from '../domain/errors';
import type { WardenContext } from './context';

export type { ApiTokenInfo, Principal };
export { MAX_ROLES_PER_PRINCIPAL } from '../db/access/principals';

/** Adds a principal and its roles, recording the grant in the provenance log in the same transaction. */
export async function grantPrincipal(ctx: WardenContext, name: string, roles: string[]) {
  return withTransaction(ctx.pool, async (tx) => {
    const result = await addPrincipal(tx, name, roles);
    if (result.created || result.granted.length > 0) {
      await appendProvenance(tx, ctx.provenanceKey, {
        kind: 'principal.granted',
        subject: `principal:${result.principal.name}`,
        actor: null,
        payload: { roles: result.granted, created: result.created },
      });
    }
    return result;
  });
}

export function principals(ctx: WardenContext): Promise<Principal[]> {
  return listPrincipals(ctx.pool);
}

/** Creates an API token for an existing principal; the secret is in this answer only. */
export function createToken(ctx: WardenContext, input: z.input<typeof tokenRequest>): Promise<{ token: string; info: ApiTokenInfo }> {
  return createApiToken(ctx.pool, input);
}

/** API tokens (never their secrets), of one principal or of all. */
export function tokens(ctx: WardenContext, principal?: string): Promise<ApiTokenInfo[]> {
  return listApiTokens(ctx.pool, principal);
}

/** Revokes a principal's API token at once (again is harmless); an unknown id is not found. */
export async function revokeToken(ctx: WardenContext, id: string): Promise<ApiTokenInfo> {
  const revoked = await revokeApiToken(ctx.pool, id);
  if (!revoked) throw notFound(`token ${id}`);
  return revoked;
}

/** The principal a presented bearer token speaks for, or why it speaks for nobody. */
export function checkToken(ctx: WardenContext, token: string): Promise<TokenCheck> {
  return authenticateToken(ctx.pool, token);
}
