import type pg from 'pg';
import {
  identityTaken,
  lockCurrentPointers,
  lockIdentityMigration,
  moveAbpIdentity,
  type LockedPointer,
} from '../db/delegation/abp-identity';
import { type Queryable } from '../db/pool';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import { reissueAbp } from '../domain/delegation/build';
import { AbpSpecError } from '../domain/delegation/errors';
import { checkAbpIdentity } from '../domain/delegation/identity';
import { legacyIdentityMatches } from '../domain/delegation/legacy-identity';
import { AbpSchema, type Abp } from '../domain/delegation/schema';
import { scopeKey } from '../db/delegation/abps';
import { stagedAbpHash, type ExportSink } from '../domain/delegation/export-sink';
import { exportDocument } from '../domain/delegation/export-document';
import { exportRefsWithHashes, listExports, markRestamped, type ExportRow } from '../db/delegation/exports';

const STAGE_TAG = 'identity-migration';

export interface IdentityMigrationDeps {
  pool: pg.Pool;
  provenanceKey: string;
  /** The export sink over a connection: the migration's transaction while it holds it, else the pool. */
  exportsOn(q: Queryable): ExportSink;
}
const taken = (abpId: string) => `its reference id ${abpId} or scope is already taken by another ABP`;

export interface IdentityMigrationResult {
  /** Re-issued ABPs: old id and hash → new id and hash. */
  migrated: { oldId: string; oldHash: string; newId: string; newHash: string; exports: string[] }[];
  /** ABPs left as they are, with the reason (an edited document is never re-sealed). */
  skipped: { abpId: string; reason: string }[];
}

interface Reissue {
  pointer: LockedPointer;
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
 * finds nothing in the old form. Export documents are staged before the commit and moved into
 * place after it; a crash in between is finished by the next run.
 */
export async function migrateAbpIdentities(deps: IdentityMigrationDeps): Promise<IdentityMigrationResult> {
  const result: IdentityMigrationResult = { migrated: [], skipped: [] };
  const staged = await withProvenanceTransaction(deps.pool, async (tx) => {
    await lockIdentityMigration(tx);
    await finishStagedExports(tx, deps.exportsOn(tx));
    const plans: Reissue[] = [];
    const claimed = new Set<string>();
    for (const pointer of await lockCurrentPointers(tx)) {
      const plan = await planReissue(tx, pointer, result);
      if (!plan) continue;
      // Two ABPs that differed only in what the reference form drops would now be one: keep the first.
      const keys = [plan.next.abp_id, scopeKey(plan.next.scope)];
      if (keys.some((k) => claimed.has(k))) {
        result.skipped.push({ abpId: pointer.abpId, reason: taken(plan.next.abp_id) });
        continue;
      }
      keys.forEach((k) => claimed.add(k));
      plans.push(plan);
    }
    for (const plan of plans) {
      await applyReissue(tx, { provenanceKey: deps.provenanceKey, exports: deps.exportsOn(tx) }, plan);
      result.migrated.push({
        oldId: plan.old.abp_id,
        oldHash: plan.old.hash,
        newId: plan.next.abp_id,
        newHash: plan.next.hash,
        exports: plan.exports.map((e) => e.exportId),
      });
    }
    return plans.flatMap((p) => p.exports);
  });
  const exports = deps.exportsOn(deps.pool);
  for (const row of staged) await exports.promote(row, STAGE_TAG);
  return result;
}

async function planReissue(
  q: Queryable,
  pointer: LockedPointer,
  result: IdentityMigrationResult,
): Promise<Reissue | undefined> {
  const skip = (reason: string) => {
    result.skipped.push({ abpId: pointer.abpId, reason });
    return undefined;
  };
  const parsed = AbpSchema.safeParse(pointer.document);
  if (!parsed.success) return skip('stored document is not an ABP');
  const old = parsed.data;
  const identity = checkAbpIdentity(old);
  if (identity.idMatches && identity.hashMatches) return undefined;
  if (!legacyIdentityMatches(old))
    return skip('id or hash matches neither form: the document was edited outside Warden');
  let next: Abp;
  try {
    next = reissueAbp(old);
  } catch (error) {
    if (error instanceof AbpSpecError) return skip(`cannot be re-issued: ${error.problems.join('; ')}`);
    throw error;
  }
  if (await identityTaken(q, next, pointer.scopeKey)) return skip(taken(next.abp_id));
  return { pointer, old, next, exports: await listExports(q, old.abp_id) };
}

async function applyReissue(
  tx: pg.PoolClient,
  deps: { provenanceKey: string; exports: ExportSink },
  plan: Reissue,
): Promise<void> {
  const { pointer, old, next } = plan;
  await moveAbpIdentity(tx, pointer, old, next);
  const status = pointer.status === 'revoked' ? 'revoked' : 'active';
  for (const row of plan.exports) {
    await deps.exports.stage(row, STAGE_TAG, exportDocument(row, next, row.stamp + 1, status));
    await markRestamped(tx, [row.exportId], next);
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

/**
 * Documents staged by a run that committed but stopped before moving them into place: moved now
 * when they embed the hash their export row names, discarded otherwise (that run rolled back).
 */
async function finishStagedExports(q: Queryable, exports: ExportSink): Promise<void> {
  for (const row of await exportRefsWithHashes(q)) {
    const embedded = await stagedAbpHash(exports, row, STAGE_TAG);
    if (embedded === undefined) continue;
    if (embedded === row.abpHash) await exports.promote(row, STAGE_TAG);
    else await exports.discard(row, STAGE_TAG);
  }
}
