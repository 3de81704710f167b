import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { findOutput, storeOutput } from '../../../db/delegation/review-outputs';
import { findReview } from '../../../db/delegation/reviews';
import { buildAbpFromSpec, checkAbpAction, showAbp, triggerCards } from '../../../client/delegation';
import { describeError } from '../../../client/errors';
import { approveReview, openReview, reviewResult, showReview } from '../../../client/delegation-reviews';
import { listProvenance } from '../../../db/provenance/log';
import { reviewOutputHash } from '../../../domain/delegation/review-output';
import type { Abp, AbpSpecInput } from '../../../domain/delegation/schema';
import { approveReviewUpdate } from '../../../workflows/delegation/contract';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { eventually } from '../endorsement/helpers';
import { allowTool } from './abp-fixtures';
import { principal, startWorkerAroundApply, unique, uniqueSpec } from './fixtures';
import { testAdmin } from '../../support/principals';
import { wakeReview } from '../../support/wake-review';

const ctx = useIntegrationContext('delegation-boundary');
const call = useApiServer(ctx);

/** Finding 4's ABP: wire_transfer denied, and no runtime validators declared at all. */
function bareSpec(): AbpSpecInput {
  const spec = uniqueSpec();
  return {
    ...spec,
    tools: {
      allow: spec.tools!.allow,
      deny: [...spec.tools!.deny, { name: 'wire_transfer', reason: 'money leaves the company' }],
    },
    runtime: { validators: [] },
  };
}

const wireTransfer = (abpHash: string) => ({
  action_id: unique('wire'),
  agent_id: 'treasury-bot',
  abp_hash: abpHash,
  objective: 'OBJ-002',
  tool: 'wire_transfer',
  data: [],
  role: 'agent',
  irreversible: true,
});

/** Revokes an ABP the only way there is: a review whose approved output is abp_revoke. */
async function revokeThroughReview(abpId: string, reason: string): Promise<void> {
  const rev = await principal(ctx, 'revoker', ['Reviewer']);
  const review = await openReview(ctx, abpId, 'DRT-001', rev);
  await approveReview(ctx, review.reviewId, { principal: rev, outputKind: 'abp_revoke', document: { reason }, reason });
  expect((await reviewResult(ctx, review.reviewId)).state).toBe('applied');
}

describe('built-in enforcement (finding 4)', () => {
  it('blocks a denied irreversible wire_transfer under an ABP that declares no validators: client, HTTP and CLI', async () => {
    const { abp } = await buildAbpFromSpec(ctx, bareSpec(), await testAdmin(ctx));
    expect(abp.runtime.validators).toEqual([]);

    const direct = await checkAbpAction(ctx, abp.abp_id, wireTransfer(abp.hash));
    expect(direct).toMatchObject({ decision: 'blocked', allowed: false });
    expect(direct.results.filter((r) => !r.passed)).toEqual([
      expect.objectContaining({
        name: 'authority_envelope_complete',
        when: 'builtin',
        detail: expect.stringMatching(/tool wire_transfer denied/),
      }),
    ]);

    const http = await call('POST', `/api/v1/abps/${abp.abp_id}/actions/check`, wireTransfer(abp.hash));
    expect(http).toMatchObject({ status: 200, body: { decision: 'blocked', allowed: false } });

    const file = join(ctx.config.dataDir, `${unique('wire')}.json`);
    await writeFile(file, JSON.stringify({ ...wireTransfer(abp.hash), objective: 'OBJ-900', tool: 'ats.read' }));
    const cli = await runCli(['action', 'check', abp.abp_id, '--action', file, '--json'], cliEnv(ctx));
    expect(cli.code).toBe(1);
    expect(cli.json).toMatchObject({ decision: 'blocked', allowed: false });
    expect(cli.json.results.filter((r: { passed: boolean }) => !r.passed)).toEqual([
      expect.objectContaining({
        name: 'authority_envelope_complete',
        detail: expect.stringMatching(/objective OBJ-900 denied/),
      }),
    ]);

    // Inside the envelope the same ABP allows: the built-in checks add nothing else.
    const read = await checkAbpAction(ctx, abp.abp_id, {
      ...wireTransfer(abp.hash),
      tool: 'ats.read',
      irreversible: false,
    });
    expect(read.decision).toBe('allowed');
  });
});

describe('revocation is final (finding 5)', () => {
  it('refuses to build a revoked spec again, naming the revocation, on every surface; a new ABP may take the scope', async () => {
    const spec = uniqueSpec();
    const { abp } = await buildAbpFromSpec(ctx, spec, await testAdmin(ctx));
    await revokeThroughReview(abp.abp_id, 'credentials leaked');
    const before = (await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, limit: 100 })).length;

    await expect(buildAbpFromSpec(ctx, spec, await testAdmin(ctx))).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(new RegExp(`${abp.abp_id} was revoked: credentials leaked`)),
    });
    const http = await call('POST', '/api/v1/abps', spec);
    expect(http.status).toBe(409);
    expect(http.body.error).toMatch(/revoked: credentials leaked.*revocation is final/);
    const file = join(ctx.config.dataDir, `${unique('revoked')}.json`);
    await writeFile(file, JSON.stringify(spec));
    const cli = await runCli(['abp', 'build', file, '--as', await testAdmin(ctx), '--json'], cliEnv(ctx));
    expectRefused(cli, 1, /revoked: credentials leaked/);

    expect(await showAbp(ctx, abp.abp_id)).toMatchObject({ status: 'revoked', statusReason: 'credentials leaked' });
    expect(await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}`, limit: 100 })).toHaveLength(before);
    const blocked = await checkAbpAction(ctx, abp.abp_id, {
      ...wireTransfer(abp.hash),
      tool: 'ats.read',
      irreversible: false,
    });
    expect(blocked.results.find((r) => !r.passed)?.name).toBe('abp_not_revoked');

    // A new ABP (a new created_at gives a new id) for the same scope is a fresh start.
    const fresh = await buildAbpFromSpec(ctx, { ...spec, created_at: '2026-03-01T00:00:00Z' }, await testAdmin(ctx));
    expect(fresh.abp.abp_id).not.toBe(abp.abp_id);
    expect((await showAbp(ctx, fresh.abp.abp_id)).status).toBe('active');
    expect((await showAbp(ctx, abp.abp_id)).status).toBe('superseded');
    await expect(buildAbpFromSpec(ctx, spec, await testAdmin(ctx))).rejects.toThrow(/revoked: credentials leaked/);
  });

  it('refuses to build a superseded spec again: the replacement stays current', async () => {
    const spec = uniqueSpec();
    const { abp } = await buildAbpFromSpec(ctx, spec, await testAdmin(ctx));
    const rev = await principal(ctx, 'replacer', ['Reviewer']);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    const replacement = { ...spec, created_at: '2026-04-01T00:00:00Z' };
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_replace',
      document: replacement,
      reason: 'fresh start',
    });
    const next = (await reviewResult(ctx, review.reviewId)).outcome!.next!;
    expect(next.abpId).not.toBe(abp.abp_id);

    await expect(buildAbpFromSpec(ctx, spec, await testAdmin(ctx))).rejects.toThrow(
      new RegExp(`${abp.abp_id} was superseded by ${next.abpId}`),
    );
    expect((await call('POST', '/api/v1/abps', spec)).status).toBe(409);
    expect(await showAbp(ctx, next.abpId)).toMatchObject({ status: 'active' });
    expect((await showAbp(ctx, abp.abp_id)).status).toBe('superseded');
  });
});

/** A patch that adds a tool to the allow list and leaves the deny list as it is. */
async function outputsOf(reviewId: string): Promise<{ output_hash: string; authored_by: string }[]> {
  return (
    await ctx.pool.query('SELECT output_hash, authored_by FROM delegation_review_outputs WHERE review_id = $1', [
      reviewId,
    ])
  ).rows;
}

describe('review outputs are dry-run before a vote counts (finding 13)', () => {
  it('refuses an output that would not apply, naming the field or gate: client, the Update itself, HTTP and CLI; the review stays open', async () => {
    const rev = await principal(ctx, 'dry', ['Reviewer']);
    const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    // email.send_external stays denied while the patch allows it: a contradiction in the result.
    const contradicting = allowTool(abp, 'email.send_external');
    await expect(
      approveReview(ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_patch',
        document: contradicting,
        reason: 'x',
      }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(
        /would not apply: contradiction: tools both allowed and denied: email\.send_external/,
      ),
    });
    expect(await outputsOf(review.reviewId)).toEqual([]);

    // The workflow's own check, for a caller that stores an output and sends the Update directly
    // (to the review's workflow, which a refused approval did not start: woken here).
    expect(await findReview(ctx.pool, review.reviewId)).toMatchObject({ workflowStarted: false });
    await wakeReview(ctx, review.reviewId);
    const outputHash = reviewOutputHash({ kind: 'abp_patch', document: contradicting });
    await storeOutput(ctx.pool, review.reviewId, outputHash, 'abp_patch', contradicting, rev);
    const direct = await ctx.temporal.workflow
      .getHandle(review.reviewId)
      .executeUpdate(approveReviewUpdate, {
        args: [{ principal: rev, outputKind: 'abp_patch', outputHash, reason: 'direct' }],
      })
      .then(
        () => 'accepted',
        (error: unknown) => describeError(error).message,
      );
    expect(direct).toMatch(/would not apply: contradiction: tools both allowed and denied: email\.send_external/);

    const http = await call('POST', `/api/v1/reviews/${review.reviewId}/approve`, {
      as: rev,
      output_kind: 'abp_patch',
      document: { tools: { allow: [{ name: 42 }] } },
      reason: 'bad types',
    });
    expect(http.status).toBe(400);
    expect(http.body.error).toMatch(/tools\.allow\[0\]\.name/);

    const file = join(ctx.config.dataDir, `${unique('patch')}.json`);
    await writeFile(file, JSON.stringify(contradicting));
    const cli = await runCli(
      ['review', 'approve', review.reviewId, '--as', rev, '--output', file, '--reason', 'cli', '--json'],
      cliEnv(ctx),
    );
    expectRefused(cli, 2, /tools both allowed and denied: email\.send_external/);

    const shown = await showReview(ctx, review.reviewId);
    expect(shown).toMatchObject({ state: 'open', votes: [], live: { state: 'open', approvals: [] } });
    expect(await listProvenance(ctx.pool, { subject: `review:${review.reviewId}`, kind: 'review.approved' })).toEqual(
      [],
    );
    // A valid output is still accepted afterwards, by the same approver.
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_patch',
      document: allowTool(abp, 'fax.send'),
      reason: 'fine',
    });
    expect((await reviewResult(ctx, review.reviewId)).state).toBe('applied');
  });

  it('a failure at apply time sends the review back to open with the reason, voids its approvals, and a corrected output applies', async () => {
    const rev = await principal(ctx, 'late', ['Reviewer']);
    const spec = uniqueSpec();
    const { abp } = await buildAbpFromSpec(ctx, spec, await testAdmin(ctx));
    // Between the vote (dry-run passed) and the apply, someone rebuilds the ABP with fax.send
    // denied: the approved patch now contradicts it. A worker of its own makes that race certain.
    let raced = false;
    const racing = await startWorkerAroundApply(ctx, async (real, input) => {
      if (!raced) {
        raced = true;
        await buildAbpFromSpec(
          ctx,
          { ...spec, tools: { ...spec.tools!, deny: [...spec.tools!.deny, { name: 'fax.send', reason: 'no faxes' }] } },
          await testAdmin(ctx),
        );
      }
      return real(input);
    });
    try {
      const review = await openReview(racing.ctx, abp.abp_id, 'DRT-002', rev);
      const first = await approveReview(racing.ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_patch',
        document: allowTool(abp, 'fax.send'),
        reason: 'faxes',
      });
      expect(first.decided).toBe(true);
      const reopened = await eventually(
        () => showReview(ctx, review.reviewId),
        (r) => r.live?.lastFailure !== null && r.live?.lastFailure !== undefined,
      );
      expect(reopened).toMatchObject({
        state: 'open',
        votes: [],
        live: { state: 'open', approvals: [], outcome: null },
      });
      expect(reopened.live!.lastFailure).toMatchObject({
        state: 'failed',
        reopened: true,
        round: 1,
        voided: [rev],
        outputHash: first.outputHash,
      });
      expect(reopened.live!.lastFailure!.failure.join('; ')).toMatch(/tools both allowed and denied: fax\.send/);
      expect(reopened.outcome).toMatchObject({ reopened: true, failure: [expect.stringMatching(/fax\.send/)] });
      const [failed] = await listProvenance(ctx.pool, {
        subject: `review:${review.reviewId}`,
        kind: 'review.apply_failed',
      });
      expect(failed!.payload).toMatchObject({
        reopened: true,
        voided_votes: [rev],
        reasons: [expect.stringMatching(/fax\.send/)],
      });
      // The trigger is not left tripped without an active review.
      const card = (await triggerCards(ctx, abp.abp_id)).find((c) => c.triggerId === 'DRT-002');
      expect(card!.activeReview).toEqual({ reviewId: review.reviewId, state: 'open' });

      const current = (await showAbp(ctx, abp.abp_id)).abp as Abp;
      await approveReview(racing.ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_patch',
        document: allowTool(current, 'fax.receive'),
        reason: 'receive only',
      });
      const final = await reviewResult(ctx, review.reviewId);
      expect(final).toMatchObject({ state: 'applied', outcome: { state: 'applied', approvers: [rev] } });
      expect(((await showAbp(ctx, abp.abp_id)).abp as Abp).tools.allow.map((t) => t.name)).toContain('fax.receive');
      // The loop through a reopening replays deterministically.
      const history = await ctx.temporal.workflow.getHandle(review.reviewId).fetchHistory();
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        history,
        review.reviewId,
      );
    } finally {
      await racing.stop();
    }
  });
});

describe('abp_replace is always a new ABP (finding 6)', () => {
  it('refuses a replacement that would keep the old id, or reuse a retired one, with the reason: client, HTTP and CLI', async () => {
    const rev = await principal(ctx, 'keeper', ['Reviewer']);
    const spec = uniqueSpec();
    const { abp } = await buildAbpFromSpec(ctx, spec, await testAdmin(ctx));
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    // Same scope, authority_ref and created_at: the same id, whatever else changes.
    const keeping = { ...spec, tools: { allow: spec.tools!.allow, deny: [] } };
    await expect(
      approveReview(ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_replace',
        document: keeping,
        reason: 'keep',
      }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(new RegExp(`abp_replace: the replacement keeps ${abp.abp_id}`)),
    });
    const http = await call('POST', `/api/v1/reviews/${review.reviewId}/approve`, {
      as: rev,
      output_kind: 'abp_replace',
      document: keeping,
      reason: 'keep',
    });
    expect(http.status).toBe(400);
    expect(http.body.error).toMatch(/a replacement is a new ABP with a new id/);
    const file = join(ctx.config.dataDir, `${unique('keep')}.json`);
    await writeFile(file, JSON.stringify(keeping));
    const cli = await runCli(
      [
        'review',
        'approve',
        review.reviewId,
        '--as',
        rev,
        '--output',
        file,
        '--kind',
        'abp_replace',
        '--reason',
        'keep',
        '--json',
      ],
      cliEnv(ctx),
    );
    expectRefused(cli, 2, /the replacement keeps/);

    // An id that was revoked before cannot come back as somebody's replacement either.
    const retiredSpec = uniqueSpec();
    const retired = (await buildAbpFromSpec(ctx, retiredSpec, await testAdmin(ctx))).abp;
    await revokeThroughReview(retired.abp_id, 'retired');
    await expect(
      approveReview(ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_replace',
        document: retiredSpec,
        reason: 'reuse',
      }),
    ).rejects.toThrow(new RegExp(`${retired.abp_id} was used before`));

    expect(await showReview(ctx, review.reviewId)).toMatchObject({ state: 'open', votes: [] });
    const fresh = { ...spec, created_at: '2026-05-01T00:00:00Z' };
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_replace',
      document: fresh,
      reason: 'a new ABP',
    });
    const next = (await reviewResult(ctx, review.reviewId)).outcome!.next!;
    expect(next.abpId).not.toBe(abp.abp_id);
  });
});

describe('who authors and who opens (findings 7 and 9)', () => {
  it('never records a refused approver as the author of an output', async () => {
    const [rev, outsider] = await Promise.all([
      principal(ctx, 'author', ['Reviewer']),
      principal(ctx, 'outsider', ['auditor']),
    ]);
    const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
    const review = await openReview(ctx, abp.abp_id, 'DRT-001', rev);
    const document = allowTool(abp, 'fax.send');
    await expect(
      approveReview(ctx, review.reviewId, { principal: outsider, outputKind: 'abp_patch', document, reason: 'mine' }),
    ).rejects.toMatchObject({
      kind: 'forbidden',
      message: expect.stringMatching(/does not hold the approver role Reviewer/),
    });
    expect(
      (
        await call('POST', `/api/v1/reviews/${review.reviewId}/approve`, {
          as: outsider,
          output_kind: 'abp_patch',
          document,
          reason: 'mine',
        })
      ).status,
    ).toBe(403);
    const file = join(ctx.config.dataDir, `${unique('mine')}.json`);
    await writeFile(file, JSON.stringify(document));
    expect(
      (
        await runCli(
          ['review', 'approve', review.reviewId, '--as', outsider, '--output', file, '--reason', 'mine'],
          cliEnv(ctx),
        )
      ).code,
    ).toBe(1);
    expect(await outputsOf(review.reviewId)).toEqual([]);

    // Even when the refused principal got the output stored first (a direct write, or a role
    // revoked in between), the first accepted approver becomes its author.
    const outputHash = reviewOutputHash({ kind: 'abp_patch', document });
    await storeOutput(ctx.pool, review.reviewId, outputHash, 'abp_patch', document, outsider);
    await approveReview(ctx, review.reviewId, { principal: rev, outputKind: 'abp_patch', document, reason: 'agreed' });
    expect((await findOutput(ctx.pool, review.reviewId, outputHash))!.authoredBy).toBe(rev);
    expect((await showReview(ctx, review.reviewId)).votes).toMatchObject([{ principal: rev, outputAuthor: rev }]);
    expect((await reviewResult(ctx, review.reviewId)).state).toBe('applied');
  });

  it("opening a review needs the review policy's approver role or admin: client, HTTP and CLI", async () => {
    const [viewer, rev] = await Promise.all([
      principal(ctx, 'viewer', ['auditor']),
      principal(ctx, 'opener', ['Reviewer']),
    ]);
    const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
    await expect(openReview(ctx, abp.abp_id, 'DRT-004', viewer)).rejects.toMatchObject({
      kind: 'forbidden',
      message: expect.stringMatching(
        new RegExp(`${viewer} may not open a review of ${abp.abp_id} DRT-004: that needs the role Reviewer or admin`),
      ),
    });
    expect(
      (await call('POST', '/api/v1/reviews', { abp_id: abp.abp_id, trigger_id: 'DRT-004', as: viewer })).status,
    ).toBe(403);
    const cli = await runCli(['review', 'open', abp.abp_id, 'DRT-004', '--as', viewer, '--json'], cliEnv(ctx));
    expectRefused(cli, 1, /needs the role Reviewer or admin/);
    expect(
      await listProvenance(ctx.pool, { kind: 'review.opened', subject: `review:${abp.abp_id}.DRT-004.r1` }),
    ).toEqual([]);

    // An admin (the HTTP helper's operator) may, and is recorded as the one who opened it.
    const byAdmin = await call('POST', '/api/v1/reviews', { abp_id: abp.abp_id, trigger_id: 'DRT-004' });
    expect(byAdmin.status).toBe(201);
    const [opened] = await listProvenance(ctx.pool, {
      kind: 'review.opened',
      subject: `review:${byAdmin.body.reviewId}`,
    });
    expect(opened!.actor).toBe(byAdmin.body.openedBy);
    const byReviewer = await runCli(['review', 'open', abp.abp_id, 'DRT-001', '--as', rev, '--json'], cliEnv(ctx));
    expect(byReviewer.code, byReviewer.stderr).toBe(0);
    expect(byReviewer.json.openedBy).toBe(rev);
  });
});
