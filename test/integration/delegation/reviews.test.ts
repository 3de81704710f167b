import { describe, expect, it } from 'vitest';
import { checkAbpAction, showAbp, verifyAbp } from '../../../client/delegation';
import {
  approveReview,
  dismissReview,
  openReview,
  reviewResult,
  reviews,
  showReview,
} from '../../../client/delegation-reviews';
import type { Abp } from '../../../domain/delegation/schema';
import { exportSinkFor } from '../../../client/export-sink';
import { useIntegrationContext } from '../../support/integration';
import { eventually } from '../endorsement/helpers';
import { allowEmail } from './abp-fixtures';
import { buildUniqueAbp, principal, sendExternalEmail, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('delegation-reviews');

function thresholdTwoSpec() {
  const spec = uniqueSpec();
  const review = spec.delegation_review!;
  return { ...spec, delegation_review: { ...review, review_policy: { ...review.review_policy, threshold: 2 } } };
}

/** The ABP is still the one built: active, one version, every export stamped once with it and verifying. */
async function expectUntouched(abp: Abp) {
  const view = await showAbp(ctx, abp.abp_id);
  expect(view).toMatchObject({ status: 'active' });
  expect((view.abp as Abp).hash).toBe(abp.hash);
  expect(view.versions).toHaveLength(1);
  for (const e of view.exports) {
    expect(e).toMatchObject({ stamp: 1, abpHash: abp.hash });
    expect(JSON.parse((await exportSinkFor(ctx.config, ctx.pool).read(e))!).abp.hash).toBe(abp.hash);
  }
  expect((await verifyAbp(ctx, abp.abp_id)).ok).toBe(true);
}

describe('review votes', () => {
  it('threshold 2: needs two principals approving the same output; other outputs do not count', async () => {
    const [ann, ben, cat] = await Promise.all([
      principal(ctx, 'ann', ['Reviewer']),
      principal(ctx, 'ben', ['Reviewer']),
      principal(ctx, 'cat', ['Reviewer']),
    ]);
    const abp = await buildUniqueAbp(ctx, thresholdTwoSpec());
    const review = await openReview(ctx, abp.abp_id, 'DRT-003', ann);
    expect(review).toMatchObject({ state: 'open', openedBy: ann, severity: 'critical' });

    const first = await approveReview(ctx, review.reviewId, {
      principal: ann,
      outputKind: 'abp_patch',
      document: allowEmail(abp),
      reason: 'needed',
    });
    expect(first).toMatchObject({ approvals: 1, threshold: 2, decided: false });
    const other = await approveReview(ctx, review.reviewId, {
      principal: ben,
      outputKind: 'abp_patch',
      document: allowEmail(abp, 'bid'),
      reason: 'narrower',
    });
    expect(other).toMatchObject({ approvals: 2, decided: false });
    expect(other.outputHash).not.toBe(first.outputHash);
    // Same document, keys in another order: the same output by canonical hash.
    const reordered = { tools: { deny: allowEmail(abp).tools.deny, allow: allowEmail(abp).tools.allow } };
    const third = await approveReview(ctx, review.reviewId, {
      principal: cat,
      outputKind: 'abp_patch',
      document: reordered,
      reason: 'agree with ann',
    });
    expect(third).toMatchObject({ outputHash: first.outputHash, decided: true });

    const final = await reviewResult(ctx, review.reviewId);
    expect(final.state).toBe('applied');
    expect(final.outcome).toMatchObject({ outputHash: first.outputHash, approvers: [ann, cat] });
    const shown = await showReview(ctx, review.reviewId);
    expect(shown.votes.map((v) => v.principal).sort()).toEqual([ann, ben, cat].sort());
  });

  it('refuses a principal without the approver role, an unknown principal and a second vote', async () => {
    const [rev, outsider] = await Promise.all([
      principal(ctx, 'rev', ['Reviewer']),
      principal(ctx, 'outsider', ['Observer']),
    ]);
    const abp = await buildUniqueAbp(ctx, thresholdTwoSpec());
    const review = await openReview(ctx, abp.abp_id, 'DRT-001', rev);
    const approve = (who: string) =>
      approveReview(ctx, review.reviewId, {
        principal: who,
        outputKind: 'abp_patch',
        document: allowEmail(abp),
        reason: 'x',
      });
    await expect(approve(outsider)).rejects.toThrow(/does not hold the approver role Reviewer/);
    await expect(approve('nobody-at-all')).rejects.toThrow(/unknown principal/);
    await approve(rev);
    await expect(approve(rev)).rejects.toThrow(/already voted/);
    await expect(dismissReview(ctx, review.reviewId, { principal: rev, reason: 'changed my mind' })).rejects.toThrow(
      /already voted/,
    );
    const live = (await showReview(ctx, review.reviewId)).live!;
    expect(live).toMatchObject({ state: 'open', approvals: [{ principal: rev }] });
    await dismissReview(ctx, review.reviewId, {
      principal: await principal(ctx, 'dee', ['Reviewer']),
      reason: 'not needed',
    });
    expect((await reviewResult(ctx, review.reviewId)).state).toBe('dismissed');
    expect((await showAbp(ctx, abp.abp_id)).versions).toHaveLength(1);
  });

  it('refuses bad output documents naming the field', async () => {
    const rev = await principal(ctx, 'rev', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    await expect(
      approveReview(ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_patch',
        document: { abp_id: 'ABP-00000000' },
        reason: 'x',
      }),
    ).rejects.toThrow(/abp_id: cannot be patched/);
    await expect(
      approveReview(ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_replace',
        document: { scope: {} },
        reason: 'x',
      }),
    ).rejects.toThrow(/scope\.contract_id/);
    expect((await showReview(ctx, review.reviewId)).votes).toEqual([]);
  });
});

describe('applying review outputs', () => {
  it('replace: a new ABP id becomes current, exports are re-stamped with it, the old id is blocked', async () => {
    const rev = await principal(ctx, 'rev', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    const replacement = { ...uniqueSpec(), tools: allowEmail(abp).tools };
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_replace',
      document: replacement,
      reason: 'fresh start',
    });
    const final = await reviewResult(ctx, review.reviewId);
    expect(final.state).toBe('applied');
    const next = final.outcome!.next!;
    expect(next.abpId).not.toBe(abp.abp_id);

    const old = await showAbp(ctx, abp.abp_id);
    expect(old).toMatchObject({ status: 'replaced', replacedBy: next.abpId, exports: [] });
    const fresh = await showAbp(ctx, next.abpId);
    expect(fresh.status).toBe('active');
    expect(fresh.exports).toHaveLength(4);
    for (const e of fresh.exports) {
      expect(e).toMatchObject({ abpHash: next.abpHash, stamp: 2 });
      expect(JSON.parse((await exportSinkFor(ctx.config, ctx.pool).read(e))!).abp.abp_id).toBe(next.abpId);
    }
    expect((await verifyAbp(ctx, next.abpId)).ok).toBe(true);
    expect(
      (await checkAbpAction(ctx, abp.abp_id, sendExternalEmail(abp.hash, 1))).results.find((r) => !r.passed)?.name,
    ).toBe('authority_envelope_complete');
    expect(
      (await checkAbpAction(ctx, abp.abp_id, { ...sendExternalEmail(abp.hash, 2), tool: 'ats.read' })).decision,
    ).toBe('blocked');
    expect((await checkAbpAction(ctx, next.abpId, sendExternalEmail(next.abpHash, 3))).decision).toBe('allowed');
  });

  it('revoke: the ABP is revoked, every action under it is blocked, exports are re-stamped as revoked', async () => {
    const rev = await principal(ctx, 'rev', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-001', rev);
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_revoke',
      document: { reason: 'compromised' },
      reason: 'compromised',
    });
    expect((await reviewResult(ctx, review.reviewId)).state).toBe('applied');
    const view = await showAbp(ctx, abp.abp_id);
    expect(view).toMatchObject({ status: 'revoked', statusReason: 'compromised' });
    const check = await checkAbpAction(ctx, abp.abp_id, {
      ...sendExternalEmail(abp.hash, 1),
      tool: 'ats.read',
      irreversible: false,
    });
    expect(check.decision).toBe('blocked');
    expect(check.results.find((r) => !r.passed)?.name).toBe('abp_not_revoked');
    for (const e of view.exports) {
      expect(e.stamp).toBe(2);
      expect(JSON.parse((await exportSinkFor(ctx.config, ctx.pool).read(e))!).status).toBe('revoked');
    }
    const verification = await verifyAbp(ctx, abp.abp_id);
    expect(verification.ok).toBe(false);
    expect(verification.checks.find((c) => !c.passed)?.gate).toBe('abp.status');
  });

  it('an output whose export gate would fail is refused before its vote counts: the old ABP stays current, the exports untouched, the review open', async () => {
    const rev = await principal(ctx, 'rev', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    // The replacement drops the boe module, but a boe export is registered: gate.module_in_scope fails.
    const spec = uniqueSpec();
    const replacement = { ...spec, scope: { ...spec.scope, modules: ['hiring', 'bid', 'compliance'] } };
    await expect(
      approveReview(ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_replace',
        document: replacement,
        reason: 'drop boe',
      }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/-boe: gate\.module_in_scope: boe not in scope/),
    });
    await expectUntouched(abp);
    const shown = await showReview(ctx, review.reviewId);
    // Refused before its vote: the review is still dormant (no workflow started for nothing).
    expect(shown).toMatchObject({ state: 'open', votes: [], workflowStarted: false, live: null });
    expect(await reviews(ctx, { abpId: abp.abp_id, state: 'failed' })).toHaveLength(0);
  });
});

describe('tamper detection', () => {
  it('an apply gates the export documents as the database stored them, in its transaction: a store that alters one sets the review back and changes nothing', async () => {
    const rev = await principal(ctx, 'gated', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    const [first] = (await showAbp(ctx, abp.abp_id)).exports;
    // Stands for storage that does not keep what it was given: the current document of one export
    // is altered as it is written (a staged copy read back elsewhere would have passed).
    const fn = `gate_probe_${first!.exportId.replace(/[^a-z0-9]/g, '_')}`;
    await ctx.pool.query(`CREATE FUNCTION ${fn}() RETURNS trigger AS $$
      BEGIN IF NEW.export_id = '${first!.exportId}' AND NEW.slot = 'current' THEN NEW.body := '{"abp": {}}'; END IF; RETURN NEW; END
      $$ LANGUAGE plpgsql`);
    await ctx.pool.query(
      `CREATE TRIGGER ${fn} BEFORE INSERT OR UPDATE ON abp_export_documents FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    );
    try {
      const vote = await approveReview(ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_patch',
        document: allowEmail(abp),
        reason: 'needed',
      });
      expect(vote.decided).toBe(true);
      const setBack = await eventually(
        () => showReview(ctx, review.reviewId),
        (r) => r.live?.lastFailure !== null && r.live?.lastFailure !== undefined,
      );
      expect(setBack).toMatchObject({ state: 'open', live: { state: 'open', outcome: null } });
      expect(setBack.live!.lastFailure!.failure.join('; ')).toContain(`${first!.exportId}: gate.`);
    } finally {
      await ctx.pool.query(`DROP TRIGGER ${fn} ON abp_export_documents`);
      await ctx.pool.query(`DROP FUNCTION ${fn}()`);
    }
    await expectUntouched(abp);
  });

  it('verify detects an edited export document and an edited stored version', async () => {
    const abp = await buildUniqueAbp(ctx);
    expect((await verifyAbp(ctx, abp.abp_id)).ok).toBe(true);
    const [first] = (await showAbp(ctx, abp.abp_id)).exports;
    const doc = JSON.parse((await exportSinkFor(ctx.config, ctx.pool).read(first!))!);
    doc.abp.tools.deny = [];
    // Whoever can write the database can edit the stored export: the gates catch it.
    await ctx.pool.query(`UPDATE abp_export_documents SET body = $2 WHERE export_id = $1 AND slot = 'current'`, [
      first!.exportId,
      JSON.stringify(doc),
    ]);
    const v = await verifyAbp(ctx, abp.abp_id);
    expect(v.ok).toBe(false);
    expect(
      v.exports
        .find((e) => e.exportId === first!.exportId)!
        .gates.filter((g) => !g.passed)
        .map((g) => g.gate),
    ).toEqual(['gate.abp_hash_integrity']);

    // Versions are immutable in the database; someone with DDL rights can still edit one.
    await expect(
      ctx.pool.query(`UPDATE abp_versions SET document = document WHERE abp_hash = $1`, [abp.hash]),
    ).rejects.toThrow(/immutable/);
    await ctx.pool.query('ALTER TABLE abp_versions DISABLE TRIGGER abp_versions_no_update');
    try {
      await ctx.pool.query(
        `UPDATE abp_versions SET document = jsonb_set(document, '{tools,deny}', '[]') WHERE abp_hash = $1`,
        [abp.hash],
      );
    } finally {
      await ctx.pool.query('ALTER TABLE abp_versions ENABLE TRIGGER abp_versions_no_update');
    }
    const stored = await verifyAbp(ctx, abp.abp_id);
    expect(stored.checks.find((c) => c.gate === 'abp.hash_integrity')).toMatchObject({ passed: false });
    const check = await checkAbpAction(ctx, abp.abp_id, {
      ...sendExternalEmail(abp.hash, 1),
      irreversible: false,
      tool: 'ats.read',
    });
    expect(check.results.filter((r) => !r.passed).map((r) => r.name)).toEqual(['abp_hash_valid']);
  });
});

describe('durability', () => {
  it('an open review survives a worker restart and applies once when approved afterwards', async () => {
    const rev = await principal(ctx, 'rev', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    await ctx.stopWorker();
    await ctx.startWorker();
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_patch',
      document: allowEmail(abp),
      reason: 'after restart',
    });
    const final = await reviewResult(ctx, review.reviewId);
    expect(final.state).toBe('applied');
    const view = await showAbp(ctx, abp.abp_id);
    expect(view.versions.map((v) => v.source)).toEqual(['build', 'patch']);
    expect(view.exports.every((e) => e.stamp === 2)).toBe(true);
  });
});
