import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAbpFromSpec } from '../../client/delegation';
import { openReview } from '../../client/delegation-reviews';
import { ingestFeedback, proposeCalibrationUpdate } from '../../client/guard';
import { addPrincipal } from '../../db/access/principals';
import { demoAbpSpec } from '../../demo/delegation-abp';
import { addWebhook, webhookDeliveries } from '../../client/notifications';
import {
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  type GuardPeople,
} from '../integration/guard/guard-fixtures';
import { eventually } from '../integration/endorsement/helpers';
import { startReceiver, type Receiver } from '../integration/notifications/receiver';
import { useTimeSkippingStack } from '../support/time-skipping-stack';
import { testAdmin } from '../support/principals';
import { deliveryWorkflowId } from '../../workflows/notifications/contract';

const stack = useTimeSkippingStack('notifications');
const secret = 'timeskip-secret-0123456789';
let people: GuardPeople;
let receiver: Receiver;

beforeAll(async () => {
  people = await seedPeopleAndPolicy(stack.ctx, 'nts');
  await ingestFeedback(stack.ctx, toNdjson(reviewedRows('notify-timeskip', 32, { marker: 'nts' })));
  receiver = await startReceiver(200);
});

afterAll(async () => {
  await receiver?.close();
});

describe('notifications across a 7-day timer (time-skipping server)', () => {
  it('announces proposal.expired after the approval window closes, signed, and the proposal still ends expired', async () => {
    const { ctx, env } = stack;
    await addWebhook(
      ctx,
      { url: receiver.url, events: ['proposal.ready', 'proposal.expired'], secret },
      await testAdmin(stack.ctx),
    );
    const proposal = await proposeCalibrationUpdate(
      ctx,
      seedCalibrationRequest(people.proposer, 'feedback://recent-reviewed?tenant=notify-timeskip', 'rb-notify-expiry'),
    );
    expect(await env.client.workflow.getHandle(proposal.proposal_id).result()).toMatchObject({ state: 'expired' });

    // The delivery workflow records its row shortly after the loop has closed.
    const row = await eventually(
      async () =>
        (await webhookDeliveries(ctx, { event: 'proposal.expired' })).find((d) => d.subject === proposal.proposal_id),
      (d) => d !== undefined,
    );
    const eventId = row!.eventId;
    // The delivery runs as its own workflow; waiting for it moves nothing in the loop.
    await env.client.workflow
      .getHandle(deliveryWorkflowId({ eventId, type: 'proposal.expired', subject: proposal.proposal_id }))
      .result();
    const received = receiver.requests.filter((r) => JSON.parse(r.body).subject === proposal.proposal_id);
    expect(received.map((r) => JSON.parse(r.body).type).sort()).toEqual(['proposal.expired', 'proposal.ready']);
    for (const r of received)
      expect(r.headers['x-warden-signature']).toBe(
        `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`,
      );
    expect(
      (await webhookDeliveries(ctx, { event: 'proposal.expired' })).find((d) => d.eventId === eventId),
    ).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('announces review.opened and, after the default 7 days without a decision, review.timed_out', async () => {
    const { ctx, env } = stack;
    await addWebhook(
      ctx,
      { url: receiver.url, events: ['review.opened', 'review.timed_out', 'review.concluded'], secret },
      await testAdmin(stack.ctx),
    );
    await addPrincipal(ctx.pool, 'notify-opener', ['Reviewer']);
    const spec = demoAbpSpec();
    const { abp } = await buildAbpFromSpec(
      ctx,
      { ...spec, scope: { ...spec.scope, contract_id: 'CTR-NOTIFY-TIMEOUT' } },
      await testAdmin(stack.ctx),
    );
    const review = await openReview(ctx, abp.abp_id, 'DRT-004', 'notify-opener');
    expect(await env.client.workflow.getHandle(review.reviewId).result()).toMatchObject({ state: 'timed_out' });

    const types = async () =>
      (await webhookDeliveries(ctx))
        .filter((d) => d.subject === review.reviewId && d.status === 'delivered')
        .map((d) => d.eventType)
        .sort();
    expect(await eventually(types, (t) => t.length >= 2)).toEqual(['review.opened', 'review.timed_out']);
    const timedOut = receiver.requests
      .map((r) => JSON.parse(r.body))
      .find((b) => b.subject === review.reviewId && b.type === 'review.timed_out');
    expect(timedOut.data).toMatchObject({ abpId: abp.abp_id, triggerId: 'DRT-004', state: 'timed_out' });
  });
});
