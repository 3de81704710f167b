import { authenticateToken, hashToken, TokenRefusedError, type TokenCheck } from '../db/access/api-tokens';
import type { WardenContext } from './context';

/**
 * A token this process authenticated earlier, kept so that a hot route need not read it again:
 * only for routes whose write re-validates the token in its own transaction (the action check's
 * group commit, db/delegation/action-checks.ts; the SDK exchange route's record and tool-call
 * checks, client/gateway-exchange.ts), so a revoked token is still refused by the first write that
 * commits after its revocation, whichever process revoked it. Not for a route that spends anything
 * (a model call) before its first write.
 */
export { TokenRefusedError };

type Verified = Extract<TokenCheck, { ok: true }>;

/** Roles a cached entry carries are refreshed at least this often (the routes it serves need none). */
const HOLD_MS = 60_000;
const MAX_TOKENS = 10_000;
const caches = new WeakMap<WardenContext, Map<string, { check: Verified; until: number }>>();

function cacheOf(ctx: WardenContext) {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  return cache;
}

/**
 * The principal a token speaks for, from the cache while it holds, else from the database (and
 * then cached). The caller must re-validate `tokenId` in the transaction of its write.
 */
export async function checkTokenCached(ctx: WardenContext, token: string): Promise<TokenCheck> {
  const cache = cacheOf(ctx);
  const key = hashToken(token);
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now < hit.until) return hit.check;
  const check = await authenticateToken(ctx.pool, token);
  if (!check.ok) {
    cache.delete(key);
    return check;
  }
  cache.set(key, { check, until: Math.min(now + HOLD_MS, check.expiresAt ?? Infinity) });
  if (cache.size > MAX_TOKENS) cache.delete(cache.keys().next().value!);
  return check;
}

/** Drops a token a write found refused, so the next request reads it (and is refused) at once. */
export function forgetToken(ctx: WardenContext, tokenId: string): void {
  const cache = cacheOf(ctx);
  for (const [key, entry] of cache) if (entry.check.tokenId === tokenId) cache.delete(key);
}
