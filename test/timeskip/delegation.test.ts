import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAbpFromSpec } from '../../client/delegation';
import { openReview, reviews, showReview } from '../../client/delegation-reviews';
import { addWebhook, webhookDeliveries } from '../../client/notifications';
import { addPrincipal } from '../../db/access/principals';
import { findReview } from '../../db/delegation/reviews';
import { listProvenance } from '../../db/provenance/log';
import { DEFAULT_REVIEW_POLICY } from '../../domain/delegation/compose';
import { demoAbpSpec } from '../../demo/delegation-abp';
import { reviewStatusQuery, type ReviewStatus } from '../../workflows/delegation/contract';
import { eventually } from '../integration/endorsement/helpers';
import { startReceiver, type Receiver } from '../integration/notifications/receiver';
import { useTimeSkippingStack } from '../support/time-skipping-stack';
import { testAdmin } from '../support/principals';
import { wakeReview } from '../support/wake-review';

const DAY_MS = 86_400_000;
// Only dormant reviews here, on a stack of their own (docs/dormant-reviews.md, risks): a dormant review's deadline counts from its row's
// opened_at (PostgreSQL's clock), so the tests that count 7 days run first, before any skip has
// moved the server's clock away from it; the 30-day skip runs last.
const stack = useTimeSkippingStack('delegation');
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver(200);
});

afterAll(async () => {
  await receiver?.close();
});

async function abpFor(contractId: string, policy: Partial<typeof DEFAULT_REVIEW_POLICY> = {}) {
  const spec = demoAbpSpec();
  const review = spec.delegation_review!;
  const { abp } = await buildAbpFromSpec(
    stack.ctx,
    {
      ...spec,
      scope: { ...spec.scope, contract_id: contractId },
      delegation_review: { ...review, review_policy: { ...review.review_policy, ...policy } },
    },
    await testAdmin(stack.ctx),
  );
  return abp;
}

describe('reviews opened dormant, given their workflow later (time-skipping server)', () => {
  it('a review nobody decides times out 7 days after its opening and fires the escalation path', async () => {
    const { env, ctx } = stack;
    expect(DEFAULT_REVIEW_POLICY.timeout_ms).toBe(7 * DAY_MS);
    await addPrincipal(ctx.pool, 'opener', ['Reviewer']);
    expect(demoAbpSpec().delegation_review!.review_policy).toEqual(DEFAULT_REVIEW_POLICY);
    const abp = await abpFor('CTR-DORMANT-TIMEOUT');
    const review = await openReview(ctx, abp.abp_id, 'DRT-004', 'opener');
    expect(review.workflowStarted).toBe(false);
    const openedAt = Date.parse(review.openedAt!);
    expect((await showReview(ctx, review.reviewId)).deadline).toBe(new Date(openedAt + 7 * DAY_MS).toISOString());

    // Given its workflow as its first vote or a monitor pass would: its deadline is the opening's.
    await wakeReview(ctx, review.reviewId);
    const handle = ctx.temporal.workflow.getHandle(review.reviewId);
    await env.sleep(Math.max(0, openedAt + 7 * DAY_MS - 60_000 - (await env.currentTimeMs())));
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

    // A timed-out review does not reset the evidence: the trigger may open a new review later.
    const again = await openReview(ctx, abp.abp_id, 'DRT-004', 'opener');
    expect(again).toMatchObject({ reviewId: `${abp.abp_id}.DRT-004.r2`, workflowStarted: false });
  });

  it('announces review.opened when it is stored and review.timed_out when its workflow times it out', async () => {
    const { ctx, env } = stack;
    const secret = 'dormant-timeskip-secret-0123';
    await addWebhook(
      ctx,
      { url: receiver.url, events: ['review.opened', 'review.timed_out', 'review.concluded'], secret },
      await testAdmin(ctx),
    );
    await addPrincipal(ctx.pool, 'notify-opener', ['Reviewer']);
    const abp = await abpFor('CTR-DORMANT-NOTIFY');
    const review = await openReview(ctx, abp.abp_id, 'DRT-004', 'notify-opener');
    const delivered = async () =>
      (await webhookDeliveries(ctx))
        .filter((d) => d.subject === review.reviewId && d.status === 'delivered')
        .map((d) => d.eventType)
        .sort();
    // Delivered before the review has a workflow: its storer announced it.
    expect(await eventually(delivered, (t) => t.length >= 1)).toEqual(['review.opened']);
    expect(await findReview(ctx.pool, review.reviewId)).toMatchObject({ workflowStarted: false });

    await wakeReview(ctx, review.reviewId);
    expect(await env.client.workflow.getHandle(review.reviewId).result()).toMatchObject({ state: 'timed_out' });
    expect(await eventually(delivered, (t) => t.length >= 2)).toEqual(['review.opened', 'review.timed_out']);
    const opened = receiver.requests
      .map((r) => JSON.parse(r.body))
      .filter((b) => b.subject === review.reviewId && b.type === 'review.opened');
    expect(opened).toHaveLength(1);
  });

  it('a review with timeout_ms null has no deadline and never times out', async () => {
    const { env, ctx } = stack;
    await addPrincipal(ctx.pool, 'patient', ['Reviewer']);
    const abp = await abpFor('CTR-DORMANT-NO-TIMEOUT', { timeout_ms: null });
    const opened = await openReview(ctx, abp.abp_id, 'DRT-001', 'patient');
    expect((await showReview(ctx, opened.reviewId)).deadline).toBeNull();
    await wakeReview(ctx, opened.reviewId);
    const handle = ctx.temporal.workflow.getHandle(opened.reviewId);
    await env.sleep(30 * DAY_MS);
    const status: ReviewStatus = await handle.query(reviewStatusQuery);
    expect(status).toMatchObject({ state: 'open', deadline: null, timeoutMs: null });
    expect((await showReview(ctx, opened.reviewId)).state).toBe('open');
    await handle.terminate('test over');
  });
});
