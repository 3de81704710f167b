import type pg from 'pg';
import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import type { Abp } from '../../domain/delegation/schema';
import { insertAbpVersion, scopeKey, type AbpStatus } from './abps';

/**
 * The store side of re-issuing an ABP under its reference identity (worker/abp-identity-migration.ts):
 * the lock that serialises runs, the pointers to look at, and the move of every row that names the
 * ABP to its new id and hash.
 */
const MIGRATION_LOCK = 7_246_203; // advisory lock: one process re-issues at a time

/** Held until the caller's transaction ends. */
export async function lockIdentityMigration(tx: pg.PoolClient): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
}

export interface LockedPointer {
  scopeKey: string;
  abpId: string;
  abpHash: string;
  status: AbpStatus;
  version: number;
  document: unknown;
}

/** Every current pointer with its stored document, locked (FOR UPDATE) in the caller's transaction. */
export async function lockCurrentPointers(tx: pg.PoolClient): Promise<LockedPointer[]> {
  const { rows } = await tx.query<{
    scope_key: string;
    abp_id: string;
    abp_hash: string;
    status: AbpStatus;
    version: number;
    document: unknown;
  }>(
    `SELECT c.scope_key, c.abp_id, c.abp_hash, c.status, c.version, v.document
       FROM abp_current c JOIN abp_versions v ON v.abp_hash = c.abp_hash ORDER BY c.abp_id FOR UPDATE OF c`,
  );
  return rows.map(camelRow);
}

/** Whether `next`'s id or scope belongs to another scope's ABP, or its id was re-issued away from. */
export async function identityTaken(q: Queryable, next: Abp, ownScope: string): Promise<boolean> {
  const clash = await q.query(
    `SELECT 1 FROM abp_current WHERE (abp_id = $1 OR scope_key = $2) AND scope_key <> $3
     UNION ALL SELECT 1 FROM abp_id_aliases WHERE old_id = $1`,
    [next.abp_id, scopeKey(next.scope), ownScope],
  );
  return (clash.rowCount ?? 0) > 0;
}

/**
 * In the caller's transaction: `next` stored as a version superseding `old`, the pointer moved to
 * it (compare-and-set on its version), every other `abp_id` column moved to the new id, open
 * reviews to the new hash, `replaced_by` links and earlier aliases followed, and the old id
 * recorded as an alias of the new one.
 */
export async function moveAbpIdentity(
  tx: pg.PoolClient,
  pointer: Pick<LockedPointer, 'scopeKey' | 'version'>,
  old: Abp,
  next: Abp,
): Promise<void> {
  await insertAbpVersion(tx, next, { source: 'migrate', supersedes: old.hash });
  await tx.query(
    `UPDATE abp_current SET scope_key = $2, abp_id = $3, abp_hash = $4, version = version + 1, updated_at = now()
      WHERE scope_key = $1 AND version = $5`,
    [pointer.scopeKey, scopeKey(next.scope), next.abp_id, next.hash, pointer.version],
  );
  for (const table of await tablesNamingAbps(tx)) {
    await tx.query(`UPDATE ${table} SET abp_id = $2 WHERE abp_id = $1`, [old.abp_id, next.abp_id]);
  }
  await tx.query(
    `UPDATE delegation_reviews SET abp_hash = $2 WHERE abp_id = $3 AND abp_hash = $1 AND state IN ('queued', 'open')`,
    [old.hash, next.hash, next.abp_id],
  );
  await tx.query('UPDATE abp_current SET replaced_by = $2 WHERE replaced_by = $1', [old.abp_id, next.abp_id]);
  await tx.query('UPDATE abp_id_aliases SET new_id = $2, new_hash = $3 WHERE new_id = $1', [
    old.abp_id,
    next.abp_id,
    next.hash,
  ]);
  await tx.query(
    'INSERT INTO abp_id_aliases (old_id, new_id, old_hash, new_hash) VALUES ($1, $2, $3, $4) ON CONFLICT (old_id) DO NOTHING',
    [old.abp_id, next.abp_id, old.hash, next.hash],
  );
}

/** Every table with an abp_id column but the immutable history and the aliases themselves. */
async function tablesNamingAbps(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND c.column_name = 'abp_id' AND t.table_type = 'BASE TABLE'
        AND c.table_name NOT IN ('abp_versions', 'abp_current', 'abp_id_aliases')
      ORDER BY c.table_name`,
  );
  return rows.map((r) => `"${r.table_name.replace(/"/g, '""')}"`);
}
