import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFeedback, proposeCalibrationUpdate } from '../../client/guard';
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
});
