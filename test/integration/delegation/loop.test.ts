import { describe, expect, it } from 'vitest';
import { checkAbpAction, showAbp, verifyAbp } from '../../../client/delegation';
import { approveReview, reviewResult, reviews, showReview } from '../../../client/delegation-reviews';
import { listProvenance } from '../../../db/provenance/log';
import type { Abp } from '../../../domain/delegation/schema';
import { exportSinkFor } from '../../../client/export-sink';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp, principal, sendExternalEmail } from './fixtures';

const ctx = useIntegrationContext('delegation-loop');

describe('the delegation review loop, end to end', () => {
  it('blocked irreversible actions trip DRT-002, a review opens, an approved patch re-stamps the exports and the action is allowed', async () => {
    const reviewer = await principal(ctx, 'rita', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const before = await showAbp(ctx, abp.abp_id);
    expect(before.exports).toHaveLength(4);

    // Six irreversible actions the ABP denies: the sixth trips DRT-002 (blocked_count_gt 5).
    for (let n = 1; n <= 6; n++) {
      const check = await checkAbpAction(ctx, abp.abp_id, sendExternalEmail(abp.hash, n), { waitForEvaluation: true });
      expect(check.decision).toBe('blocked');
      expect(check.results.find((r) => !r.passed)?.name).toBe('authority_envelope_complete');
      if (n < 6) expect(check.evaluation?.opened).toEqual([]);
      else expect(check.evaluation?.opened).toEqual([`${abp.abp_id}.DRT-002.r1`]);
    }
    const [review] = await reviews(ctx, { abpId: abp.abp_id, state: 'open' });
    expect(review).toMatchObject({
      triggerId: 'DRT-002',
      severity: 'critical',
      openedBy: 'monitor',
      // Stored without its workflow: its deadline is days away; the first vote starts it.
      workflowStarted: false,
    });

    const patch = {
      tools: {
        allow: [...abp.tools.allow, { name: 'email.send_external', scope: 'hiring' }],
        deny: abp.tools.deny.filter((t) => t.name !== 'email.send_external'),
      },
    };
    const vote = await approveReview(ctx, review!.reviewId, {
      principal: reviewer,
      outputKind: 'abp_patch',
      document: patch,
      reason: 'candidates must hear back',
    });
    expect(vote).toMatchObject({ accepted: true, approvals: 1, threshold: 1, decided: true });
    const description = await ctx.temporal.workflow.getHandle(review!.reviewId).describe();
    expect(description.searchAttributes.WardenKind).toEqual(['review']);
    expect(description.searchAttributes.AbpId).toEqual([abp.abp_id]);
    expect(description.searchAttributes.TriggerId).toEqual(['DRT-002']);
    expect(description.searchAttributes.Severity).toEqual(['critical']);
    const final = await reviewResult(ctx, review!.reviewId);
    expect(final.state).toBe('applied');
    const next = final.outcome!.next!;
    expect(next.abpId).toBe(abp.abp_id);
    expect(next.abpHash).not.toBe(abp.hash);
    expect(final.outcome!.exports.every((e) => e.gates.every((g) => g.passed))).toBe(true);

    // Exports re-stamped: rows and documents carry the new hash; verify passes.
    const after = await showAbp(ctx, abp.abp_id);
    expect((after.abp as Abp).hash).toBe(next.abpHash);
    expect(after.versions.map((v) => v.source)).toEqual(['build', 'patch']);
    for (const e of after.exports) {
      expect(e).toMatchObject({ abpHash: next.abpHash, stamp: 2 });
      const file = JSON.parse((await exportSinkFor(ctx.config, ctx.pool).read(e))!);
      expect(file.abp.hash).toBe(next.abpHash);
    }
    expect((await verifyAbp(ctx, abp.abp_id)).ok).toBe(true);

    // The same action under the new hash is now allowed.
    const allowed = await checkAbpAction(ctx, abp.abp_id, sendExternalEmail(next.abpHash, 7));
    expect(allowed.decision).toBe('allowed');
    // The old hash is refused by policy_hash_matches.
    const stale = await checkAbpAction(ctx, abp.abp_id, { ...sendExternalEmail(abp.hash, 8), irreversible: false });
    expect(stale.results.find((r) => !r.passed)?.name).toBe('policy_hash_matches');

    const shown = await showReview(ctx, review!.reviewId);
    expect(shown.state).toBe('applied');
    expect(shown.votes).toMatchObject([{ principal: reviewer, decision: 'approve', outputKind: 'abp_patch' }]);
    const kinds = (await listProvenance(ctx.pool, { subject: `review:${review!.reviewId}` })).map((e) => e.kind).sort();
    expect(kinds).toEqual(['review.applied', 'review.approved', 'review.opened']);
    const abpKinds = (await listProvenance(ctx.pool, { subject: `abp:${abp.abp_id}` })).map((e) => e.kind);
    expect(abpKinds).toEqual(
      expect.arrayContaining(['abp.built', 'action.checked', 'abp.patched', 'abp.exports_restamped']),
    );
  });
});
