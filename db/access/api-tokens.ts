import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../domain/non-workflow/sha256';
import { z } from 'zod';
import { KEY_TEXT_BYTES, storableText } from '../../domain/input/storable-text';
import { type Principal, requirePrincipal, UnknownPrincipalError } from './principals';
import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';

export interface ApiTokenInfo {
  id: string;
  principal: string;
  label: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** `wdn_<id>_<secret>`: the id lets operators name a token without knowing its secret. */
const TOKEN_FORM = /^wdn_(tok_[0-9a-f]{12})_([0-9a-f]{48})$/;

export const hashToken = sha256Hex;

export const tokenRequest = z.object({
  principal: storableText(KEY_TEXT_BYTES).min(1),
  label: storableText(KEY_TEXT_BYTES).max(200).default(''),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

interface Row {
  id: string;
  principal: string;
  label: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** Every column but the token's hash, which never leaves this module. */
const COLUMNS = 'id, principal, label, created_at, expires_at, revoked_at, last_used_at';

const toInfo = (r: Row): ApiTokenInfo => camelRow(r);

/** Creates a token for an existing principal; the secret is returned once and never stored. */
export async function createApiToken(
  q: Queryable,
  input: z.input<typeof tokenRequest>,
): Promise<{ token: string; info: ApiTokenInfo }> {
  const req = tokenRequest.parse(input);
  await requirePrincipal(q, req.principal);
  const id = `tok_${randomBytes(6).toString('hex')}`;
  const token = `wdn_${id}_${randomBytes(24).toString('hex')}`;
  const { rows } = await q.query<Row>(
    `INSERT INTO api_tokens (id, principal, token_hash, label, expires_at)
     VALUES ($1, $2, $3, $4, CASE WHEN $5::int IS NULL THEN NULL ELSE now() + make_interval(days => $5::int) END)
     RETURNING ${COLUMNS}`,
    [id, req.principal, hashToken(token), req.label, req.expiresInDays ?? null],
  );
  return { token, info: toInfo(rows[0]!) };
}

export async function listApiTokens(q: Queryable, principal?: string): Promise<ApiTokenInfo[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM api_tokens WHERE ($1::text IS NULL OR principal = $1) ORDER BY created_at, id`,
    [principal ?? null],
  );
  return rows.map(toInfo);
}

export async function revokeApiToken(q: Queryable, id: string): Promise<ApiTokenInfo | undefined> {
  const { rows } = await q.query<Row>(
    `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? toInfo(rows[0]) : undefined;
}

export type TokenCheck =
  | {
      ok: true;
      principal: Principal;
      tokenId: string;
      /** ms since the epoch, or null for never */ expiresAt: number | null;
    }
  | { ok: false; reason: string };

/**
 * Resolves a presented token to its principal, refusing malformed, unknown, revoked and expired
 * ones: one statement reads the token and its principal's roles; the coarse last-used stamp (once
 * a minute, so reads do not turn every request into a write) costs a second one only when it is due.
 */
export async function authenticateToken(q: Queryable, token: string): Promise<TokenCheck> {
  if (!TOKEN_FORM.test(token)) return { ok: false, reason: 'malformed token' };
  const { rows } = await q.query<Row & { roles: string[] | null; principal_exists: boolean; last_use_due: boolean }>(
    `SELECT ${COLUMNS.split(', ')
      .map((c) => `t.${c}`)
      .join(', ')},
            EXISTS (SELECT 1 FROM principals p WHERE p.name = t.principal) AS principal_exists,
            (SELECT array_agg(r.role ORDER BY r.role) FROM principal_roles r WHERE r.principal = t.principal) AS roles,
            (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS last_use_due
       FROM api_tokens t WHERE t.token_hash = $1`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return { ok: false, reason: 'unknown token' };
  if (row.revoked_at) return { ok: false, reason: `token ${row.id} was revoked` };
  if (row.expires_at && row.expires_at.getTime() <= Date.now()) return { ok: false, reason: `token ${row.id} expired` };
  if (!row.principal_exists) throw new UnknownPrincipalError(row.principal);
  if (row.last_use_due) {
    await q.query(
      "UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
      [row.id],
    );
  }
  return {
    ok: true,
    principal: { name: row.principal, roles: row.roles ?? [] },
    tokenId: row.id,
    expiresAt: row.expires_at?.getTime() ?? null,
  };
}

/** A token authenticated earlier from a cache that a write found no longer holds (answered as a 401). */
export class TokenRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
    this.name = 'TokenRefusedError';
  }
}

/**
 * Why a token authenticated earlier speaks for nobody now (revoked, expired, gone), or null while
 * it still holds: what a write that trusted a cached token checks in its own transaction.
 */
export async function tokenRefusal(q: Queryable, tokenId: string): Promise<string | null> {
  const { rows } = await q.query<{ refusal: string | null }>(
    `SELECT ${TOKEN_REFUSAL_SQL('t')} AS refusal FROM (SELECT $1::text AS id) i LEFT JOIN api_tokens t ON t.id = i.id`,
    [tokenId],
  );
  return rows[0]?.refusal ?? null;
}

/**
 * The refusal of the token row `t` as a SQL expression (null while it holds), for statements that
 * re-validate a cached token in the same snapshot as their write (db/delegation/action-checks.ts).
 */
export const TOKEN_REFUSAL_SQL = (t: string) =>
  `CASE WHEN ${t}.id IS NULL THEN 'unknown token'
        WHEN ${t}.revoked_at IS NOT NULL THEN 'token ' || ${t}.id || ' was revoked'
        WHEN ${t}.expires_at IS NOT NULL AND ${t}.expires_at <= now() THEN 'token ' || ${t}.id || ' expired'
        WHEN NOT EXISTS (SELECT 1 FROM principals p WHERE p.name = ${t}.principal) THEN 'unknown principal'
   END`;
