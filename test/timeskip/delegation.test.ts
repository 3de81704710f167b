import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec } from '../../client/delegation';
import { openReview, reviews, showReview } from '../../client/delegation-reviews';
import { addPrincipal } from '../../db/access/principals';
import { listProvenance } from '../../db/provenance/log';
import { DEFAULT_REVIEW_POLICY } from '../../domain/delegation/compose';
import { demoAbpSpec } from '../../demo/delegation-abp';
import { reviewStatusQuery, type ReviewStatus } from '../../workflows/delegation/contract';
import { useTimeSkippingStack } from '../support/time-skipping-stack';
import { testAdmin } from '../support/principals';

const DAY_MS = 86_400_000;
// The whole bundle: reviews start notification children, which must be known to the worker.
const stack = useTimeSkippingStack('delegation');

describe('delegation review timeout (time-skipping server)', () => {
  it('a review with timeout_ms null never times out', async () => {
    const { env, ctx } = stack;
    await addPrincipal(ctx.pool, 'patient', ['Reviewer']);
    const spec = demoAbpSpec();
    const review = spec.delegation_review!;
    const { abp } = await buildAbpFromSpec(
      ctx,
      {
        ...spec,
        scope: { ...spec.scope, contract_id: 'CTR-NO-TIMEOUT' },
        delegation_review: { ...review, review_policy: { ...review.review_policy, timeout_ms: null } },
      },
      await testAdmin(stack.ctx),
    );
    const opened = await openReview(ctx, abp.abp_id, 'DRT-001', 'patient');
    const handle = ctx.temporal.workflow.getHandle(opened.reviewId);
    await env.sleep(30 * DAY_MS);
    const status: ReviewStatus = await handle.query(reviewStatusQuery);
    expect(status).toMatchObject({ state: 'open', deadline: null, timeoutMs: null });
    expect((await showReview(ctx, opened.reviewId)).state).toBe('open');
    await handle.terminate('test over');
  });

  it('a review nobody decides times out after the default 7 days and fires the escalation path', async () => {
    const { env, ctx } = stack;
    expect(DEFAULT_REVIEW_POLICY.timeout_ms).toBe(7 * DAY_MS);
    await addPrincipal(ctx.pool, 'opener', ['Reviewer']);
    const spec = demoAbpSpec();
    expect(spec.delegation_review!.review_policy).toEqual(DEFAULT_REVIEW_POLICY);
    const { abp } = await buildAbpFromSpec(ctx, spec, await testAdmin(stack.ctx));
    const review = await openReview(ctx, abp.abp_id, 'DRT-004', 'opener');
    const handle = ctx.temporal.workflow.getHandle(review.reviewId);

    const openedAt = (await handle.describe()).startTime.getTime();
    await env.sleep(7 * DAY_MS - 60_000);
    const before: ReviewStatus = await handle.query(reviewStatusQuery);
    expect(before.state).toBe('open');
    expect(Date.parse(before.deadline!)).toBe(openedAt + 7 * DAY_MS);

    const final = (await handle.result()) as ReviewStatus;
    expect(final.state).toBe('timed_out');
    expect(final.escalations).toEqual([{ destination: 'governance-board', severity: 'warn' }]);
    expect(await reviews(ctx, { abpId: abp.abp_id })).toMatchObject([
      { reviewId: review.reviewId, state: 'timed_out' },
    ]);
    const { rows } = await ctx.pool.query(
      'SELECT source, destination, severity FROM delegation_escalations WHERE reference = $1',
      [review.reviewId],
    );
    expect(rows).toEqual([{ source: 'review_timeout', destination: 'governance-board', severity: 'warn' }]);
    const kinds = (await listProvenance(ctx.pool, { subject: `review:${review.reviewId}` })).map((e) => e.kind).sort();
    expect(kinds).toEqual(['review.escalated', 'review.opened', 'review.timed_out']);
    expect((await showReview(ctx, review.reviewId)).state).toBe('timed_out');

    // A timed-out review does not reset the evidence: the trigger may open a new review later.
    const again = await openReview(ctx, abp.abp_id, 'DRT-004', 'opener');
    expect(again.reviewId).toBe(`${abp.abp_id}.DRT-004.r2`);
    await ctx.temporal.workflow.getHandle(again.reviewId).terminate('test over');
  });
});
