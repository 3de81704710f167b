import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec, checkAbpAction, composeAbp, showAbp, verifyAbp } from '../../../client/delegation';
import { approveReview, openReview, reviews } from '../../../client/delegation-reviews';
import type { Abp } from '../../../domain/delegation/schema';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { buildUniqueAbp, principal, unique, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('delegation-composition');
const call = useApiServer(ctx);

/** A program-level parent that denies ats.read (which the demo children allow). */
const parentSpec = () => {
  const spec = uniqueSpec();
  return {
    ...spec,
    tools: {
      allow: [{ name: 'docs.draft', scope: null }],
      deny: [{ name: 'ats.read', reason: 'the program reads no candidate records' }],
    },
  };
};
const readCandidate = (abp: Abp) => ({
  action_id: unique('read'),
  agent_id: 'recruiter-bot',
  abp_hash: abp.hash,
  objective: 'OBJ-004',
  tool: 'ats.read',
  data: [{ resource: 'candidates/42', operation: 'read' as const }],
  role: 'agent',
  irreversible: true,
});

async function revoke(abp: Abp): Promise<void> {
  const rev = await principal(ctx, 'rev', ['Reviewer']);
  const review = await openReview(ctx, abp.abp_id, 'DRT-004', rev);
  await approveReview(ctx, review.reviewId, {
    principal: rev,
    outputKind: 'abp_revoke',
    document: { reason: 'program closed' },
    reason: 'program closed',
  });
  expect(await ctx.temporal.workflow.getHandle(review.reviewId).result()).toMatchObject({ state: 'applied' });
}

describe('composition', () => {
  it('compose lists the children by id and hash, stamps each child, and verify follows both ways', async () => {
    const parent = await buildUniqueAbp(ctx);
    const [a, b] = [await buildUniqueAbp(ctx), await buildUniqueAbp(ctx)];
    const composed = await composeAbp(ctx, parent.abp_id, [a.abp_id, b.abp_id], await testAdmin(ctx));
    expect(composed.parent.abp_id).toBe(parent.abp_id);
    expect(composed.parent.hash).not.toBe(parent.hash);
    expect(composed.parent.composition.children).toEqual([
      { abp_id: a.abp_id, abp_hash: a.hash },
      { abp_id: b.abp_id, abp_hash: b.hash },
    ]);
    for (const child of composed.children) {
      expect(child.composition).toMatchObject({ parent_abp_id: parent.abp_id, parent_abp_hash: composed.parent.hash });
      const view = await showAbp(ctx, child.abp_id);
      expect((view.abp as Abp).hash).toBe(child.hash);
      expect(view.versions.at(-1)?.source).toBe('compose');
    }
    const verified = await verifyAbp(ctx, parent.abp_id);
    expect(verified.ok, JSON.stringify(verified)).toBe(true);
    expect(verified.checks.find((c) => c.gate === 'abp.child_references')).toMatchObject({ passed: true });
    const child = await verifyAbp(ctx, a.abp_id);
    expect(child.ok, JSON.stringify(child)).toBe(true);
    expect(child.checks.find((c) => c.gate === 'abp.parent_reference')).toMatchObject({ passed: true });

    // A child that names a parent which does not list it fails verify.
    const stray = (
      await buildAbpFromSpec(
        ctx,
        uniqueSpec({
          composition: { parent_abp_id: parent.abp_id, parent_abp_hash: composed.parent.hash, children: [] },
        }),
        await testAdmin(ctx),
      )
    ).abp;
    const strayVerified = await verifyAbp(ctx, stray.abp_id);
    expect(strayVerified.ok).toBe(false);
    expect(strayVerified.checks.find((c) => c.gate === 'abp.parent_reference')?.detail).toMatch(/does not list/);
    // A child already under another parent, and the parent itself, are refused.
    await expect(
      composeAbp(ctx, (await buildUniqueAbp(ctx)).abp_id, [a.abp_id], await testAdmin(ctx)),
    ).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining(parent.abp_id) });
    await expect(composeAbp(ctx, a.abp_id, [parent.abp_id], await testAdmin(ctx))).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining('cycle'),
    });
    await expect(composeAbp(ctx, parent.abp_id, ['not-an-id'], await testAdmin(ctx))).rejects.toThrow(/ABP-<8 hex>/);
  });

  it("the parent's tools.deny is denied in every child", async () => {
    const parent = (await buildAbpFromSpec(ctx, parentSpec(), await testAdmin(ctx))).abp;
    const child = await buildUniqueAbp(ctx);
    expect((await checkAbpAction(ctx, child.abp_id, readCandidate(child))).decision).toBe('allowed');
    const {
      children: [stamped],
    } = await composeAbp(ctx, parent.abp_id, [child.abp_id], await testAdmin(ctx));
    const verdict = await checkAbpAction(ctx, child.abp_id, readCandidate(stamped!));
    expect(verdict.decision).toBe('blocked');
    expect(verdict.results.filter((r) => !r.passed).map((r) => [r.name, r.detail])).toEqual([
      ['parent_boundary', expect.stringContaining(`tool ats.read denied by parent ${parent.abp_id}`)],
    ]);
    // A tool neither denies passes both.
    const drafted = await checkAbpAction(ctx, child.abp_id, {
      ...readCandidate(stamped!),
      tool: 'docs.draft',
      data: [],
    });
    expect(drafted.results.find((r) => r.name === 'parent_boundary')).toMatchObject({ passed: true });
  });

  it('revoking the parent opens a parent_changed review on each child, and nothing composes under it after', async () => {
    const parent = await buildUniqueAbp(ctx);
    const [a, b] = [await buildUniqueAbp(ctx), await buildUniqueAbp(ctx)];
    await composeAbp(ctx, parent.abp_id, [a.abp_id, b.abp_id], await testAdmin(ctx));
    await revoke(parent);
    for (const child of [a, b]) {
      const [review] = await reviews(ctx, { abpId: child.abp_id, state: 'open' });
      expect(review).toMatchObject({
        reviewId: `${child.abp_id}.parent_changed.r1`,
        triggerId: 'parent_changed',
        severity: 'critical',
        // Stored without its workflow: its deadline is days away (its first vote starts it).
        workflowStarted: false,
      });
      await expect(ctx.temporal.workflow.getHandle(review!.reviewId).describe()).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
      const verified = await verifyAbp(ctx, child.abp_id);
      expect(verified.checks.find((c) => c.gate === 'abp.parent_reference')).toMatchObject({
        passed: false,
        detail: expect.stringMatching(/revoked/),
      });
    }
    const late = await buildUniqueAbp(ctx);
    await expect(composeAbp(ctx, parent.abp_id, [late.abp_id], await testAdmin(ctx))).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining(`cannot compose under ${parent.abp_id}: it was revoked`),
    });
    const http = await call('POST', `/api/v1/abps/${parent.abp_id}/compose`, { children: [late.abp_id] });
    expect(http.status).toBe(409);
    const cli = await runCli(
      ['abp', 'compose', parent.abp_id, '--child', late.abp_id, '--as', await testAdmin(ctx)],
      cliEnv(ctx),
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/revoked/);
    // Nor does a spec built naming the revoked parent: nothing is stored under it.
    const named = uniqueSpec({
      composition: { parent_abp_id: parent.abp_id, parent_abp_hash: parent.hash, children: [] },
    });
    await expect(buildAbpFromSpec(ctx, named, await testAdmin(ctx))).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining(`cannot compose under ${parent.abp_id}: it was revoked`),
    });
    expect(await reviews(ctx, { abpId: parent.abp_id, state: 'open' })).toEqual([]);
    // A parent that was never built is a bad field, not a missing page.
    const unknown = uniqueSpec({
      composition: { parent_abp_id: 'ABP-00000000', parent_abp_hash: parent.hash, children: [] },
    });
    await expect(buildAbpFromSpec(ctx, unknown, await testAdmin(ctx))).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('composition.parent_abp_id'),
    });
  });

  it('replacing the parent on its scope opens a parent_changed review on each child', async () => {
    const spec = uniqueSpec();
    const parent = (await buildAbpFromSpec(ctx, { ...spec, created_at: '2026-01-01T00:00:00Z' }, await testAdmin(ctx)))
      .abp;
    const child = await buildUniqueAbp(ctx);
    await composeAbp(ctx, parent.abp_id, [child.abp_id], await testAdmin(ctx));
    const replacement = await buildAbpFromSpec(
      ctx,
      { ...spec, created_at: '2026-02-01T00:00:00Z' },
      await testAdmin(ctx),
    );
    expect(replacement.childReviews).toEqual([{ reviewId: `${child.abp_id}.parent_changed.r1`, abpId: child.abp_id }]);
    const [review] = await reviews(ctx, { abpId: child.abp_id, state: 'open' });
    expect(review).toMatchObject({ triggerId: 'parent_changed', severity: 'warn' });
  });

  it('over HTTP and the CLI: compose (admin only) then verify', async () => {
    const parent = await buildUniqueAbp(ctx);
    const [a, b] = [await buildUniqueAbp(ctx), await buildUniqueAbp(ctx)];
    const rev = await principal(ctx, 'http-rev', ['Reviewer']);
    expect(
      (await call('POST', `/api/v1/abps/${parent.abp_id}/compose`, { as: rev, children: [a.abp_id] })).status,
    ).toBe(403);
    expect((await call('POST', `/api/v1/abps/${parent.abp_id}/compose`, { children: [] })).status).toBe(400);
    const composed = await call('POST', `/api/v1/abps/${parent.abp_id}/compose`, { children: [a.abp_id] });
    expect(composed).toMatchObject({
      status: 201,
      body: { parent: { abp_id: parent.abp_id }, children: [{ abp_id: a.abp_id }] },
    });
    const cli = await runCli(
      ['abp', 'compose', parent.abp_id, '--child', b.abp_id, '--json', '--as', await testAdmin(ctx)],
      cliEnv(ctx),
    );
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json.parent.composition.children.map((c: { abp_id: string }) => c.abp_id)).toEqual([a.abp_id, b.abp_id]);
    expect((await call('GET', `/api/v1/abps/${parent.abp_id}/verify`)).status).toBe(200);
    expect((await call('GET', `/api/v1/abps/${a.abp_id}/verify`)).status).toBe(200);
  });
});
