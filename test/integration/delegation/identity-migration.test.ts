import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateAbpIdentities } from '../../../worker/abp-identity-migration';
import { insertAbpVersion, makeCurrent, scopeKey, setPointerStatus } from '../../../db/delegation/abps';
import { exportDocument } from '../../../domain/delegation/export-document';
import { registerExports } from '../../../db/delegation/exports';
import { writeExport } from '../../../domain/delegation/export-sink';
import { exportSinkFor } from '../../../client/export-sink';
import { buildAbpFromSpec, checkAbpAction, ingestEvidence, showAbp, verifyAbp } from '../../../client/delegation';
import { approveReview, openReview, reviewResult, showReview } from '../../../client/delegation-reviews';
import { createPool, withTransaction, type Queryable } from '../../../db/pool';
import { appendProvenance, listProvenance, withProvenanceTransaction } from '../../../db/provenance/log';
import { buildAbp } from '../../../domain/delegation/build';
import { checkAbpIdentity, computeAbpId } from '../../../domain/delegation/identity';
import { legacyAbpIdentity } from '../../../domain/delegation/legacy-identity';
import type { Abp } from '../../../domain/delegation/schema';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { principal, sendExternalEmail, unique, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('identity-migration');
const call = useApiServer(ctx);
const sink = () => exportSinkFor(ctx.config, ctx.pool);
const deps = () => ({
  pool: ctx.pool,
  provenanceKey: ctx.provenanceKey,
  exportsOn: (q: Queryable) => exportSinkFor(ctx.config, q),
});

/**
 * An ABP as Warden stored it before it matched the reference tooling: created_at and effective_at
 * with milliseconds (the default clock), a CRLF in a description, id and hash in the legacy form.
 */
function legacyAbp(): Abp {
  const spec = uniqueSpec();
  const built = buildAbp(spec, '2026-01-01T00:00:00Z');
  const body = {
    ...built,
    objectives: {
      ...built.objectives,
      allowed: [
        { id: 'OBJ-001', description: 'Screen candidates\r\nagainst the criteria' },
        ...built.objectives.allowed.slice(1),
      ],
    },
    created_at: '2026-11-30T00:53:46.123Z',
    effective_at: '2026-11-30T00:53:46.123Z',
  };
  const withId = { ...body, abp_id: legacyAbpIdentity(body).abpId };
  return { ...withId, hash: legacyAbpIdentity(withId).hash };
}

/** Stores it the way `abp build` did: version, current pointer, one export per module. */
async function storeLegacy(abp: Abp): Promise<void> {
  const rows = await withTransaction(ctx.pool, async (tx) => {
    await insertAbpVersion(tx, abp, { source: 'build' });
    await makeCurrent(tx, abp);
    return registerExports(tx, abp);
  });
  for (const row of rows) await writeExport(sink(), row, exportDocument(row, abp, row.stamp, 'active'), 'legacy');
}

/**
 * Revoked before the upgrade, as a review applied it then: the pointer and one provenance entry
 * under the old id (today's export gates refuse to re-stamp a legacy ABP at all).
 */
async function revokeLegacy(abp: Abp, reason: string): Promise<void> {
  await withProvenanceTransaction(ctx.pool, async (tx) => {
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM abp_current WHERE scope_key = $1', [
      scopeKey(abp.scope),
    ]);
    expect(await setPointerStatus(tx, scopeKey(abp.scope), rows[0]!.version, { status: 'revoked', reason })).toBe(true);
    await appendProvenance(tx, ctx.provenanceKey, {
      kind: 'abp.revoked',
      subject: `abp:${abp.abp_id}`,
      actor: null,
      payload: { review_id: `${abp.abp_id}.DRT-001.r1`, previous_hash: abp.hash, reason },
    });
  });
}

const driftSignal = (abpId: string, key: string) =>
  JSON.stringify({
    kind: 'drift_signal',
    abp_id: abpId,
    type: 'bypass',
    severity: 'red',
    fingerprint: { key, version: 1 },
    observed_at: new Date().toISOString(),
  });

describe('re-issuing ABPs stored in the legacy form (finding 11)', () => {
  it('moves the ABP, its evidence, its open review and its exports to the reference id in one step, once', async () => {
    const abp = legacyAbp();
    expect(checkAbpIdentity(abp)).toMatchObject({ idMatches: false, hashMatches: false });
    await storeLegacy(abp);
    const rev = await principal(ctx, 'rev', ['Reviewer', 'admin']);
    await ingestEvidence(
      ctx,
      [driftSignal(abp.abp_id, unique('fp')), driftSignal(abp.abp_id, unique('fp'))].join('\n'),
    );
    // A review in flight: its workflow was started with the old id.
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    const stampsBefore = (await showAbp(ctx, abp.abp_id)).exports.map((e) => e.stamp);

    // Two processes start at once: one re-issues, the other finds nothing left to do.
    const other = createPool(ctx.config.databaseUrl, 2);
    let runs;
    try {
      runs = await Promise.all([migrateAbpIdentities(deps()), migrateAbpIdentities({ ...deps(), pool: other })]);
    } finally {
      await other.end();
    }
    const mine = runs.flatMap((r) => r.migrated).filter((m) => m.oldId === abp.abp_id);
    expect(mine).toHaveLength(1);
    const { newId, newHash } = mine[0]!;
    expect(newId).toBe(computeAbpId(abp.scope, abp.authority_ref, '2026-11-30T00:53:46Z'));
    expect(newId).not.toBe(abp.abp_id);

    // The new version verifies in the reference form and is stored in it.
    const view = await showAbp(ctx, newId);
    const next = view.abp as Abp;
    expect(checkAbpIdentity(next)).toMatchObject({ idMatches: true, hashMatches: true });
    expect(next).toMatchObject({
      abp_id: newId,
      hash: newHash,
      created_at: '2026-11-30T00:53:46Z',
      effective_at: '2026-11-30T00:53:46Z',
    });
    expect(next.objectives.allowed[0]!.description).toBe('Screen candidates\nagainst the criteria');
    expect(view.status).toBe('active');
    expect(view.versions.map((v) => v.source)).toEqual(['build', 'migrate']);
    expect((await verifyAbp(ctx, newId)).ok).toBe(true);

    // The old id still reaches it.
    const byOldId = await showAbp(ctx, abp.abp_id);
    expect(byOldId).toMatchObject({ abpId: newId, status: 'active' });
    expect((byOldId.abp as Abp).hash).toBe(newHash);

    // Exports: re-stamped once with the new ABP, names kept.
    expect(view.exports.map((e) => e.stamp)).toEqual(stampsBefore.map((s) => s + 1));
    for (const e of view.exports) {
      expect(e).toMatchObject({ abpId: newId, abpHash: newHash });
      expect(JSON.parse((await sink().read(e))!).abp).toEqual(next);
    }

    // Evidence and the open review moved with it; evidence still sent under the old id follows.
    const counts = async (id: string) =>
      (await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM drift_signals WHERE abp_id = $1', [id]))
        .rows[0]!.n;
    expect(await counts(newId)).toBe(2);
    expect(await counts(abp.abp_id)).toBe(0);
    await ingestEvidence(ctx, driftSignal(abp.abp_id, unique('fp')));
    expect(await counts(newId)).toBe(3);
    expect(await showReview(ctx, review.reviewId)).toMatchObject({ abpId: newId, abpHash: newHash, state: 'open' });
    const check = await checkAbpAction(ctx, abp.abp_id, {
      ...sendExternalEmail(newHash, 1),
      tool: 'ats.read',
      irreversible: false,
    });
    expect(check.results.find((r) => r.name === 'abp_hash_valid')).toMatchObject({ passed: true });
    expect(
      (await ctx.pool.query('SELECT abp_id FROM abp_action_checks WHERE check_id = $1', [check.checkId])).rows[0],
    ).toEqual({ abp_id: newId });

    // The review started before the move applies to the re-issued ABP.
    const allowEmail = {
      tools: {
        allow: [...next.tools.allow, { name: 'email.send_external', scope: 'hiring' }],
        deny: next.tools.deny.filter((t) => t.name !== 'email.send_external'),
      },
    };
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_patch',
      document: allowEmail,
      reason: 'after the move',
    });
    const final = await reviewResult(ctx, review.reviewId);
    expect(final.state).toBe('applied');
    expect(final.outcome!.next!.abpId).toBe(newId);

    // One provenance entry for the move, and nothing more on a third run.
    const entries = await listProvenance(ctx.pool, { subject: `abp:${newId}`, kind: 'abp.identity_migrated' });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.payload).toMatchObject({
      previous_abp_id: abp.abp_id,
      previous_hash: abp.hash,
      abp_hash: newHash,
    });
    const again = await migrateAbpIdentities(deps());
    expect(again.migrated.filter((m) => m.oldId === abp.abp_id || m.oldId === newId)).toEqual([]);
    expect(await listProvenance(ctx.pool, { subject: `abp:${newId}`, kind: 'abp.identity_migrated' })).toHaveLength(1);
  });

  it('never re-seals a document edited behind Warden: it matches neither form and is left for verify to report', async () => {
    const abp = legacyAbp();
    const edited = { ...abp, tools: { ...abp.tools, deny: [] } };
    await storeLegacy(edited);
    const result = await migrateAbpIdentities(deps());
    expect(result.migrated.map((m) => m.oldId)).not.toContain(abp.abp_id);
    expect(result.skipped).toContainEqual({
      abpId: abp.abp_id,
      reason: expect.stringMatching(/edited outside Warden/),
    });
    const view = await showAbp(ctx, abp.abp_id);
    expect((view.abp as Abp).hash).toBe(abp.hash);
    expect((await verifyAbp(ctx, abp.abp_id)).ok).toBe(false);
  });

  it('leaves an ABP already in the reference form alone', async () => {
    const built = buildAbp(uniqueSpec(), '2026-02-24T00:00:00Z');
    await storeLegacy(built);
    const result = await migrateAbpIdentities(deps());
    expect([...result.migrated.map((m) => m.oldId), ...result.skipped.map((s) => s.abpId)]).not.toContain(built.abp_id);
    expect((await showAbp(ctx, built.abp_id)).versions.map((v) => v.source)).toEqual(['build']);
  });

  it('a rebuilt spec of an ABP revoked before its move names the revocation filed under its old id: client, HTTP and CLI', async () => {
    const abp = legacyAbp();
    await storeLegacy(abp);
    await revokeLegacy(abp, 'keys leaked');
    const moved = (await migrateAbpIdentities(deps())).migrated.find((m) => m.oldId === abp.abp_id);
    expect(moved).toBeDefined();
    const newId = moved!.newId;
    expect(await showAbp(ctx, newId)).toMatchObject({ status: 'revoked', statusReason: 'keys leaked' });

    // A new ABP takes the scope over; the revoked one is now superseded under its new id.
    const admin = await testAdmin(ctx);
    const { abp_id: _id, hash: _hash, ...spec } = abp;
    const next = await buildAbpFromSpec(ctx, { ...spec, created_at: '2026-12-01T00:00:00Z' }, admin);
    expect((await showAbp(ctx, newId)).status).toBe('superseded');

    // Its spec rebuilt gives the new id; the refusal names the revocation, not the successor.
    const revoked = new RegExp(`${newId} was revoked: keys leaked; revocation is final`);
    await expect(buildAbpFromSpec(ctx, spec, admin)).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(revoked),
    });
    const http = await call('POST', '/api/v1/abps', { ...spec, as: admin });
    expect(http).toMatchObject({ status: 409, body: { error: expect.stringMatching(revoked) } });
    const file = join(ctx.config.dataDir, `revoked-${newId}.json`);
    await writeFile(file, JSON.stringify(spec));
    const cli = await runCli(['abp', 'build', file, '--as', admin, '--json'], cliEnv(ctx));
    expectRefused(cli, 1, revoked);
    expect(await showAbp(ctx, next.abp.abp_id)).toMatchObject({ status: 'active' });
  });

  it('a rebuilt spec of an ABP revoked and superseded before the upgrade (so never re-issued) is refused too', async () => {
    const abp = legacyAbp();
    await storeLegacy(abp);
    await revokeLegacy(abp, 'vendor contract ended');
    // Another ABP took the scope over before the upgrade: only it is current, so only it moves.
    const { abp_id: _id, hash: _hash, ...spec } = abp;
    const successorBody = { ...abp, created_at: '2026-12-02T10:00:00.500Z', effective_at: '2026-12-02T10:00:00.500Z' };
    const successorWithId = { ...successorBody, abp_id: legacyAbpIdentity(successorBody).abpId };
    await storeLegacy({ ...successorWithId, hash: legacyAbpIdentity(successorWithId).hash });
    const result = await migrateAbpIdentities(deps());
    expect(result.migrated.map((m) => m.oldId)).toContain(successorWithId.abp_id);
    expect(result.migrated.map((m) => m.oldId)).not.toContain(abp.abp_id);

    // Its spec now computes an id never stored: without the old form, it would be a new ABP.
    const referenceId = computeAbpId(abp.scope, abp.authority_ref, '2026-11-30T00:53:46Z');
    const refusal = new RegExp(
      `${referenceId} is ${abp.abp_id} as Warden identified it before it matched the reference tooling, which was revoked: vendor contract ended; revocation is final`,
    );
    const admin = await testAdmin(ctx);
    await expect(buildAbpFromSpec(ctx, spec, admin)).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(refusal),
    });
    const http = await call('POST', '/api/v1/abps', { ...spec, as: admin });
    expect(http).toMatchObject({ status: 409, body: { error: expect.stringMatching(refusal) } });
    expect(await ctx.pool.query('SELECT 1 FROM abp_versions WHERE abp_id = $1', [referenceId])).toMatchObject({
      rowCount: 0,
    });
  });
});
