import type pg from 'pg';
import { withTransaction, type Queryable } from '../../db/pool';
import { appendProvenance } from '../../db/provenance/log';
import { reissueAbp } from '../../domain/delegation/build';
import { AbpSpecError } from '../../domain/delegation/errors';
import { checkAbpIdentity } from '../../domain/delegation/identity';
import { legacyIdentityMatches } from '../../domain/delegation/legacy-identity';
import { AbpSchema, type Abp } from '../../domain/delegation/schema';
import { insertAbpVersion, scopeKey, type AbpStatus } from './abp-store';
import {
  discardStaged, exportDocument, listExports, markRestamped, promoteStaged, stagedAbpHash, writeStaged, type ExportRow,
} from './export-files';

const MIGRATION_LOCK = 7_246_203; // advisory lock: one process re-issues at a time
const STAGE_TAG = 'identity-migration';
const taken = (abpId: string) => `its reference id ${abpId} or scope is already taken by another ABP`;

export interface IdentityMigrationResult {
  /** Re-issued ABPs: old id and hash → new id and hash. */
  migrated: { oldId: string; oldHash: string; newId: string; newHash: string; exports: string[] }[];
  /** ABPs left as they are, with the reason (an edited document is never re-sealed). */
  skipped: { abpId: string; reason: string }[];
}

interface Pointer {
  scope_key: string;
  abp_id: string;
  abp_hash: string;
  status: AbpStatus;
  version: number;
  document: unknown;
}

interface Reissue {
  pointer: Pointer;
  old: Abp;
  next: Abp;
  exports: ExportRow[];
}

/**
 * Re-issues every current ABP stored before Warden computed ids and hashes as the reference tooling
 * does (see domain/delegation/canonical.ts), so that each one verifies with the reference verifier.
 *
 * Only a document that authenticates under the old form is re-issued: one edited behind Warden's
 * back matches neither form and is left for `abp verify` to report. Per ABP, in one transaction:
 * a new version (source 'migrate', superseding the old one), the pointer moved to the new id and
 * hash, every other `abp_id` column moved to the new id (evidence, checks, reviews, exports and
 * whatever table later names an ABP), open reviews moved to the new hash, `replaced_by` links
 * followed, the old id recorded in abp_id_aliases (lookups by the old id, and evidence still
 * arriving under it, reach the new one), every export re-stamped, and one provenance entry.
 * Historical rows keep what they recorded: old versions, concluded reviews' hashes, action checks'
 * hashes, review ids (which embed the id they were opened under) and provenance subjects.
 *
 * Idempotent and safe with several processes: an advisory lock serialises runs and a second run
 * finds nothing in the old form. Export files are staged before the commit and moved into place
 * after it; a crash in between is finished by the next run.
 */
export async function migrateAbpIdentities(deps: { pool: pg.Pool; provenanceKey: string; exportDir: string }): Promise<IdentityMigrationResult> {
  const result: IdentityMigrationResult = { migrated: [], skipped: [] };
  const staged = await withTransaction(deps.pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await finishStagedExports(tx, deps.exportDir);
    const { rows } = await tx.query<Pointer>(
      `SELECT c.scope_key, c.abp_id, c.abp_hash, c.status, c.version, v.document
         FROM abp_current c JOIN abp_versions v ON v.abp_hash = c.abp_hash ORDER BY c.abp_id FOR UPDATE OF c`,
    );
    const plans: Reissue[] = [];
    const claimed = new Set<string>();
    for (const pointer of rows) {
      const plan = await planReissue(tx, pointer, result);
      if (!plan) continue;
      // Two ABPs that differed only in what the reference form drops would now be one: keep the first.
      const keys = [plan.next.abp_id, scopeKey(plan.next.scope)];
      if (keys.some((k) => claimed.has(k))) {
        result.skipped.push({ abpId: pointer.abp_id, reason: taken(plan.next.abp_id) });
        continue;
      }
      keys.forEach((k) => claimed.add(k));
      plans.push(plan);
    }
    for (const plan of plans) {
      await applyReissue(tx, deps, plan);
      result.migrated.push({
        oldId: plan.old.abp_id, oldHash: plan.old.hash, newId: plan.next.abp_id, newHash: plan.next.hash,
        exports: plan.exports.map((e) => e.exportId),
      });
    }
    return plans.flatMap((p) => p.exports);
  });
  for (const row of staged) await promoteStaged(deps.exportDir, row.fileName, STAGE_TAG);
  return result;
}

async function planReissue(q: Queryable, pointer: Pointer, result: IdentityMigrationResult): Promise<Reissue | undefined> {
  const skip = (reason: string) => {
    result.skipped.push({ abpId: pointer.abp_id, reason });
    return undefined;
  };
  const parsed = AbpSchema.safeParse(pointer.document);
  if (!parsed.success) return skip('stored document is not an ABP');
  const old = parsed.data;
  const identity = checkAbpIdentity(old);
  if (identity.idMatches && identity.hashMatches) return undefined;
  if (!legacyIdentityMatches(old)) return skip('id or hash matches neither form: the document was edited outside Warden');
  let next: Abp;
  try {
    next = reissueAbp(old);
  } catch (error) {
    if (error instanceof AbpSpecError) return skip(`cannot be re-issued: ${error.problems.join('; ')}`);
    throw error;
  }
  const clash = await q.query(
    `SELECT 1 FROM abp_current WHERE (abp_id = $1 OR scope_key = $2) AND scope_key <> $3
     UNION ALL SELECT 1 FROM abp_id_aliases WHERE old_id = $1`,
    [next.abp_id, scopeKey(next.scope), pointer.scope_key],
  );
  if ((clash.rowCount ?? 0) > 0) return skip(taken(next.abp_id));
  return { pointer, old, next, exports: await listExports(q, old.abp_id) };
}

async function applyReissue(tx: pg.PoolClient, deps: { provenanceKey: string; exportDir: string }, plan: Reissue): Promise<void> {
  const { pointer, old, next } = plan;
  await insertAbpVersion(tx, next, { source: 'migrate', supersedes: old.hash });
  await tx.query(
    `UPDATE abp_current SET scope_key = $2, abp_id = $3, abp_hash = $4, version = version + 1, updated_at = now()
      WHERE scope_key = $1 AND version = $5`,
    [pointer.scope_key, scopeKey(next.scope), next.abp_id, next.hash, pointer.version],
  );
  for (const table of await tablesNamingAbps(tx)) {
    await tx.query(`UPDATE ${table} SET abp_id = $2 WHERE abp_id = $1`, [old.abp_id, next.abp_id]);
  }
  await tx.query(`UPDATE delegation_reviews SET abp_hash = $2 WHERE abp_id = $3 AND abp_hash = $1 AND state IN ('queued', 'open')`, [old.hash, next.hash, next.abp_id]);
  await tx.query('UPDATE abp_current SET replaced_by = $2 WHERE replaced_by = $1', [old.abp_id, next.abp_id]);
  await tx.query('UPDATE abp_id_aliases SET new_id = $2, new_hash = $3 WHERE new_id = $1', [old.abp_id, next.abp_id, next.hash]);
  await tx.query(
    'INSERT INTO abp_id_aliases (old_id, new_id, old_hash, new_hash) VALUES ($1, $2, $3, $4) ON CONFLICT (old_id) DO NOTHING',
    [old.abp_id, next.abp_id, old.hash, next.hash],
  );
  const status = pointer.status === 'revoked' ? 'revoked' : 'active';
  for (const row of plan.exports) {
    await writeStaged(deps.exportDir, row.fileName, STAGE_TAG, exportDocument(row, next, row.stamp + 1, status));
    await markRestamped(tx, row.exportId, next);
  }
  await appendProvenance(tx, deps.provenanceKey, {
    kind: 'abp.identity_migrated',
    subject: `abp:${next.abp_id}`,
    actor: null,
    payload: {
      previous_abp_id: old.abp_id,
      previous_hash: old.hash,
      abp_hash: next.hash,
      status: pointer.status,
      exports: plan.exports.map((e) => e.exportId),
      reason: 'id and hash recomputed in the ABP reference canonical form',
    },
    idempotencyKey: `abp.identity_migrated/${old.hash}`,
  });
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

/**
 * Files staged by a run that committed but stopped before moving them into place: moved now when
 * they embed the hash their export row names, discarded otherwise (that run rolled back).
 */
async function finishStagedExports(q: Queryable, exportDir: string): Promise<void> {
  const { rows } = await q.query<{ file_name: string; abp_hash: string }>('SELECT file_name, abp_hash FROM abp_exports');
  for (const row of rows) {
    const embedded = await stagedAbpHash(exportDir, row.file_name, STAGE_TAG);
    if (embedded === undefined) continue;
    if (embedded === row.abp_hash) await promoteStaged(exportDir, row.file_name, STAGE_TAG);
    else await discardStaged(exportDir, row.file_name, STAGE_TAG);
  }
}
