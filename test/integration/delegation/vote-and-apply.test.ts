import { describe, expect, it } from 'vitest';
import { reviewDeps } from '../../../activities/delegation';
import { applyReviewOutput } from '../../../activities/delegation/apply-output';
import { recordVote } from '../../../activities/delegation/review-votes';
import { voteAndApply } from '../../../activities/delegation/vote-and-apply';
import { buildAbpFromSpec, showAbp } from '../../../client/delegation';
import { openReview, showReview } from '../../../client/delegation-reviews';
import { storeOutput } from '../../../db/delegation/review-outputs';
import { findReview } from '../../../db/delegation/reviews';
import { parseReviewOutput, reviewOutputHash } from '../../../domain/delegation/review-output';
import type { Abp } from '../../../domain/delegation/schema';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { allowTool } from './abp-fixtures';
import { principal, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('delegation-vote-and-apply');

describe("the deciding approval's step (recordVoteAndApply)", () => {
  it('applies nothing from a reading the ABP has moved past; the apply that follows plans on the moved ABP', async () => {
    const rev = await principal(ctx, 'stale-plan', ['Reviewer']);
    const spec = uniqueSpec();
    const { abp } = await buildAbpFromSpec(ctx, spec, await testAdmin(ctx));
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    // The output as the client stores it before its Update: a patch allowing sms.send.
    const output = parseReviewOutput('abp_patch', allowTool(abp, 'sms.send'));
    const outputHash = reviewOutputHash(output);
    await storeOutput(ctx.pool, review.reviewId, outputHash, output.kind, output.document, rev);
    const deps = reviewDeps(ctx);
    const apply = { reviewId: review.reviewId, outputHash, approvers: [rev], round: 1 };
    let moved: Abp | undefined;
    const step = await voteAndApply(
      (vote) => recordVote(deps, vote),
      async (input, reading) => {
        // Someone rebuilds the ABP (fax.send denied) after the vote read it and before the apply commits.
        moved = (
          await buildAbpFromSpec(
            ctx,
            { ...spec, tools: { ...spec.tools!, deny: [...spec.tools!.deny, { name: 'fax.send', reason: 'no' }] } },
            await testAdmin(ctx),
          )
        ).abp;
        return applyReviewOutput(deps, input, reading);
      },
      {
        vote: { reviewId: review.reviewId, principal: rev, decision: 'approve', outputHash, reason: 'sms' },
        apply,
      },
    );
    // The vote stands (its author recorded); the stale plan was refused by the compare-and-set.
    expect(step).toEqual({ vote: { outputKind: 'abp_patch', outputAuthor: rev }, outcome: null });
    const current = (await showAbp(ctx, abp.abp_id)).abp as Abp;
    expect(current.hash).toBe(moved!.hash);
    expect(current.tools.allow.map((t) => t.name)).not.toContain('sms.send');
    expect(await showReview(ctx, review.reviewId)).toMatchObject({ state: 'open' });

    // The review's main line then applies with the activity, which reads and plans afresh.
    const outcome = await applyReviewOutput(deps, apply);
    expect(outcome).toMatchObject({ state: 'applied', previous: { abpHash: moved!.hash } });
    const applied = (await showAbp(ctx, abp.abp_id)).abp as Abp;
    expect(applied.tools.allow.map((t) => t.name)).toContain('sms.send');
    expect(applied.tools.deny.map((t) => t.name)).toContain('fax.send');
    expect(await showReview(ctx, review.reviewId)).toMatchObject({ state: 'applied' });
    // The step ran outside any workflow: the review was opened dormant and never got one.
    expect(await findReview(ctx.pool, review.reviewId)).toMatchObject({ workflowStarted: false });
  });
});
