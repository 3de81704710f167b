import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import { canonicalDigest } from '../../domain/delegation/digest';
import { AbpSchema, type Abp, type AbpScope } from '../../domain/delegation/schema';

/** ABP versions (immutable, by hash) and the current pointer per scope. */
export type AbpStatus = 'active' | 'revoked' | 'replaced';
export type AbpSource = 'build' | 'seed' | 'patch' | 'replace' | 'migrate' | 'compose';

export interface CurrentAbp {
  scopeKey: string;
  abpId: string;
  abpHash: string;
  status: AbpStatus;
  statusReason: string | null;
  replacedBy: string | null;
  version: number;
  /** The stored document, as stored: not re-validated, so a tampered row is visible as such. */
  document: unknown;
}

export function scopeKey(scope: AbpScope): string {
  return canonicalDigest(scope);
}

export async function insertAbpVersion(
  q: Queryable,
  abp: Abp,
  meta: { source: AbpSource; supersedes?: string | null; reviewId?: string | null; createdBy?: string | null },
): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO abp_versions (abp_hash, abp_id, scope_key, document, source, supersedes, review_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (abp_hash) DO NOTHING`,
    [
      abp.hash,
      abp.abp_id,
      scopeKey(abp.scope),
      JSON.stringify(abp),
      meta.source,
      meta.supersedes ?? null,
      meta.reviewId ?? null,
      meta.createdBy ?? null,
    ],
  );
  return r.rowCount === 1;
}

export interface CurrentRow {
  scope_key: string;
  abp_id: string;
  abp_hash: string;
  status: AbpStatus;
  status_reason: string | null;
  replaced_by: string | null;
  version: number;
  document: unknown;
}

export const CURRENT_SELECT = `SELECT c.scope_key, c.abp_id, c.abp_hash, c.status, c.status_reason, c.replaced_by, c.version, v.document
  FROM abp_current c JOIN abp_versions v ON v.abp_hash = c.abp_hash`;

export const currentOf = (r: CurrentRow): CurrentAbp => camelRow(r);
const fromRow = currentOf;

/**
 * An id an ABP was re-issued away from (migration 007) names the ABP it moved to: people, feeds
 * and workflows started before the move keep reaching it.
 */
export const FOLLOW_ALIAS_OF = (id: string) =>
  `COALESCE((SELECT a.new_id FROM abp_id_aliases a WHERE a.old_id = ${id}), ${id})`;
const FOLLOW_ALIAS = FOLLOW_ALIAS_OF('$1');

/** The ids among `abpIds` that were re-issued away from, each with the id it has now. */
export async function followAliases(q: Queryable, abpIds: readonly string[]): Promise<Map<string, string>> {
  if (abpIds.length === 0) return new Map();
  const { rows } = await q.query<{ old_id: string; new_id: string }>(
    'SELECT old_id, new_id FROM abp_id_aliases WHERE old_id = ANY($1::text[])',
    [abpIds],
  );
  return new Map(rows.map((r) => [r.old_id, r.new_id]));
}

export async function findCurrentByAbpId(
  q: Queryable,
  abpId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<CurrentAbp | undefined> {
  const { rows } = await q.query<CurrentRow>(
    `${CURRENT_SELECT} WHERE c.abp_id = ${FOLLOW_ALIAS}${opts.forUpdate ? ' FOR UPDATE OF c' : ''}`,
    [abpId],
  );
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/**
 * findCurrentByAbpId for several ids in one statement (openings read together): each id asked
 * for, aliases followed as there, with its ABP; ids with none are absent.
 */
export async function findCurrentByAbpIds(q: Queryable, abpIds: readonly string[]): Promise<Map<string, CurrentAbp>> {
  if (abpIds.length === 0) return new Map();
  const { rows } = await q.query<CurrentRow & { asked: string }>(
    `SELECT asked.id AS asked, c.scope_key, c.abp_id, c.abp_hash, c.status, c.status_reason, c.replaced_by, c.version, v.document
       FROM unnest($1::text[]) AS asked(id)
       JOIN abp_current c
         ON c.abp_id = COALESCE((SELECT a.new_id FROM abp_id_aliases a WHERE a.old_id = asked.id), asked.id)
       JOIN abp_versions v ON v.abp_hash = c.abp_hash`,
    [abpIds],
  );
  return new Map(rows.map(({ asked, ...row }) => [asked, fromRow(row)]));
}

/** The pointer of a scope, whatever id it names now. */
export async function findCurrentByScope(q: Queryable, scope: AbpScope): Promise<CurrentAbp | undefined> {
  const { rows } = await q.query<CurrentRow>(`${CURRENT_SELECT} WHERE c.scope_key = $1`, [scopeKey(scope)]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function listCurrent(
  q: Queryable,
  filter: { abpIds?: string[]; status?: AbpStatus } = {},
): Promise<CurrentAbp[]> {
  const { rows } = await q.query<CurrentRow>(
    `${CURRENT_SELECT} WHERE ($1::text[] IS NULL OR c.abp_id = ANY($1) OR c.abp_id IN (SELECT a.new_id FROM abp_id_aliases a WHERE a.old_id = ANY($1)))
       AND ($2::text IS NULL OR c.status = $2) ORDER BY c.abp_id`,
    [filter.abpIds ?? null, filter.status ?? null],
  );
  return rows.map(fromRow);
}

/** The newest stored version with this id (the current one if it has a pointer). */
export async function findLatestVersion(
  q: Queryable,
  abpId: string,
): Promise<{ hash: string; document: unknown } | undefined> {
  const { rows } = await q.query<{ abp_hash: string; document: unknown }>(
    `SELECT v.abp_hash, v.document FROM abp_versions v LEFT JOIN abp_current c ON c.abp_hash = v.abp_hash
      WHERE v.abp_id = $1 ORDER BY (c.abp_hash IS NOT NULL) DESC, v.recorded_at DESC LIMIT 1`,
    [abpId],
  );
  return rows[0] ? { hash: rows[0].abp_hash, document: rows[0].document } : undefined;
}

export interface AbpVersion {
  /** 1 for the first version recorded, counting up: how people name a version (`abp diff --from 1 --to 2`). */
  number: number;
  hash: string;
  source: AbpSource;
  reviewId: string | null;
  recordedAt: string;
}

/** Every version of the ABP, oldest first, including those stored under an id it was re-issued away from. */
export async function listVersions(q: Queryable, abpId: string): Promise<AbpVersion[]> {
  const { rows } = await q.query<{ abp_hash: string; source: AbpSource; review_id: string | null; recorded_at: Date }>(
    `SELECT abp_hash, source, review_id, recorded_at FROM abp_versions
      WHERE abp_id = ${FOLLOW_ALIAS} OR abp_id IN (SELECT a.old_id FROM abp_id_aliases a WHERE a.new_id = ${FOLLOW_ALIAS})
      ORDER BY recorded_at`,
    [abpId],
  );
  return rows.map((r, i) => ({
    number: i + 1,
    hash: r.abp_hash,
    source: r.source,
    reviewId: r.review_id,
    recordedAt: r.recorded_at.toISOString(),
  }));
}

/** Parses a stored document; throws when the stored row no longer is an ABP. */
export function storedAbp(current: { document: unknown }): Abp {
  return AbpSchema.parse(current.document);
}

/**
 * Makes `abp` the active ABP of its scope. Returns false when it already was (a retry, or the
 * same spec built twice).
 */
export async function makeCurrent(q: Queryable, abp: Abp): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO abp_current (scope_key, abp_id, abp_hash, status, version) VALUES ($1, $2, $3, 'active', 1)
     ON CONFLICT (scope_key) DO UPDATE SET abp_id = EXCLUDED.abp_id, abp_hash = EXCLUDED.abp_hash, status = 'active',
       status_reason = NULL, replaced_by = NULL, version = abp_current.version + 1, updated_at = now()
     WHERE abp_current.abp_hash IS DISTINCT FROM EXCLUDED.abp_hash OR abp_current.status <> 'active'`,
    [scopeKey(abp.scope), abp.abp_id, abp.hash],
  );
  return r.rowCount === 1;
}

/** Compare-and-set on the pointer's version: false when someone changed it first. */
export async function setPointerStatus(
  q: Queryable,
  scope: string,
  expectedVersion: number,
  change: { status: AbpStatus; reason?: string | null; replacedBy?: string | null },
): Promise<boolean> {
  const r = await q.query(
    `UPDATE abp_current SET status = $3, status_reason = $4, replaced_by = $5, version = version + 1, updated_at = now()
      WHERE scope_key = $1 AND version = $2`,
    [scope, expectedVersion, change.status, change.reason ?? null, change.replacedBy ?? null],
  );
  return r.rowCount === 1;
}

export async function advancePointer(q: Queryable, scope: string, expectedVersion: number, abp: Abp): Promise<boolean> {
  const r = await q.query(
    `UPDATE abp_current SET abp_id = $3, abp_hash = $4, status = 'active', status_reason = NULL, replaced_by = NULL,
            version = version + 1, updated_at = now()
      WHERE scope_key = $1 AND version = $2`,
    [scope, expectedVersion, abp.abp_id, abp.hash],
  );
  return r.rowCount === 1;
}

/** Whether any version was ever stored under `abpId` (an id once used is never used again). */
export async function abpIdUsed(q: Queryable, abpId: string): Promise<boolean> {
  const used = await q.query('SELECT 1 FROM abp_versions WHERE abp_id = $1 LIMIT 1', [abpId]);
  return (used.rowCount ?? 0) > 0;
}

/** The ids among `abpIds` under which some version was built. */
export async function knownAbpIds(q: Queryable, abpIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await q.query<{ abp_id: string }>(
    'SELECT DISTINCT abp_id FROM abp_versions WHERE abp_id = ANY($1::text[])',
    [abpIds],
  );
  return new Set(rows.map((r) => r.abp_id));
}

/** The id of the ABP that governs a scope now, if any. */
export async function scopeOwner(q: Queryable, scope: string): Promise<string | undefined> {
  const { rows } = await q.query<{ abp_id: string }>('SELECT abp_id FROM abp_current WHERE scope_key = $1', [scope]);
  return rows[0]?.abp_id;
}

/** The stored document of one version, by hash, as stored (not re-validated). */
export async function findVersionDocument(q: Queryable, abpHash: string): Promise<unknown> {
  const { rows } = await q.query<{ document: unknown }>('SELECT document FROM abp_versions WHERE abp_hash = $1', [
    abpHash,
  ]);
  return rows[0]?.document;
}
