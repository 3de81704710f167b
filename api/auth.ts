import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { WardenContext } from '../client/context';
import { checkToken, type Principal } from '../client/access';
import { checkTokenCached } from '../client/verified-tokens';
import { HttpError, type Route } from './route';

export { ADMIN_ROLE } from '../domain/authorization';

/** A body's `as` field: who acts. On `actsAs` routes it is filled from the token (see bindActingPrincipal). */
export const actingPrincipalField = z.string().min(1, 'the principal to act for');

/**
 * The caller's token: `Authorization: Bearer <token>`, or `X-API-Key: <token>` (what LiteLLM's
 * generic guardrail sends). Both carry the same Warden API tokens.
 */
function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const apiKey = req.headers['x-api-key'];
  if (!header && typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new HttpError(401, 'Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Who is calling: every non-public route needs a valid bearer token; a route that names roles
 * needs one of them. 401 means "we do not know you", 403 "we know you, and you may not".
 */
export async function authenticate(
  ctx: WardenContext,
  req: IncomingMessage,
  route: Route,
): Promise<{ principal: Principal; tokenId?: string } | undefined> {
  const token = bearer(req);
  if (!token) {
    if (route.public) return undefined;
    throw new HttpError(
      401,
      'authentication required: send "Authorization: Bearer <token>" (create one with `warden token create --principal <name>`)',
    );
  }
  // Cached roles could be stale: a route that needs a role always reads the token.
  const cached = route.revalidatesToken === true && !route.roles;
  const check = cached ? await checkTokenCached(ctx, token) : await checkToken(ctx, token);
  if (!check.ok) throw new HttpError(401, `invalid token: ${check.reason}`);
  const principal = check.principal;
  if (route.roles && !route.roles.some((r) => principal.roles.includes(r))) {
    throw new HttpError(403, `${principal.name} lacks the role this needs (${route.roles.join(' or ')})`);
  }
  return cached ? { principal, tokenId: check.tokenId } : { principal };
}

/**
 * A token speaks for exactly one principal: a body or query naming another in `as` is refused, and
 * on routes that act for someone a missing `as` is filled in, so routes keep one way of learning
 * who acts (the same field the CLI's --as fills).
 */
export function bindActingPrincipal(
  principal: Principal,
  body: unknown,
  query: URLSearchParams,
  actsAs: boolean,
): unknown {
  const named = query.get('as');
  if (named !== null && named !== principal.name) {
    throw new HttpError(403, `this token belongs to ${principal.name}; it cannot act as ${named}`);
  }
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const as = (body as Record<string, unknown>).as;
    if (as !== undefined && as !== principal.name) {
      throw new HttpError(403, `this token belongs to ${principal.name}; it cannot act as ${String(as)}`);
    }
  }
  if (!actsAs) return body;
  if (named === null) query.set('as', principal.name);
  if (body === undefined) return { as: principal.name };
  if (body !== null && typeof body === 'object' && !Array.isArray(body))
    return { ...(body as object), as: principal.name };
  return body;
}
