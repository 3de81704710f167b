import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../domain/non-workflow/sha256';
import { z } from 'zod';
import { KEY_TEXT_BYTES, storableText } from '../../domain/input/storable-text';
import { type Principal, requirePrincipal } from './principals';
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

export type TokenCheck = { ok: true; principal: Principal; tokenId: string } | { ok: false; reason: string };

/** Resolves a presented token to its principal, refusing malformed, unknown, revoked and expired ones. */
export async function authenticateToken(q: Queryable, token: string): Promise<TokenCheck> {
  if (!TOKEN_FORM.test(token)) return { ok: false, reason: 'malformed token' };
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1`, [hashToken(token)]);
  const row = rows[0];
  if (!row) return { ok: false, reason: 'unknown token' };
  if (row.revoked_at) return { ok: false, reason: `token ${row.id} was revoked` };
  if (row.expires_at && row.expires_at.getTime() <= Date.now()) return { ok: false, reason: `token ${row.id} expired` };
  // Best effort and coarse (once a minute) so reads do not turn every request into a write.
  await q.query(
    "UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    [row.id],
  );
  return { ok: true, principal: await requirePrincipal(q, row.principal), tokenId: row.id };
}
