import { revokeApiToken, type ApiTokenInfo } from '../db/api-tokens';
import { addPrincipal, listPrincipals, type Principal } from '../db/principals';
import { appendProvenance } from '../db/provenance-log';
import { withTransaction } from '../db/pool';
import { notFound } from '../domain/errors';
import type { WardenContext } from './context';

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

/** Revokes a principal's API token at once (again is harmless); an unknown id is not found. */
export async function revokeToken(ctx: WardenContext, id: string): Promise<ApiTokenInfo> {
  const revoked = await revokeApiToken(ctx.pool, id);
  if (!revoked) throw notFound(`token ${id}`);
  return revoked;
}
