import { createHmac } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decide, endorseRule, promote } from '../../../client/endorsement';
import { approve, proposeCalibrationUpdate, release } from '../../../client/guard';
import { addWebhook, removeWebhook, webhookDeliveries, webhooks } from '../../../client/notifications';
import { listProvenance } from '../../../db/provenance/log';
import { useIntegrationContext } from '../../support/integration';
import { eventually, freshAgent, operator, SEED_RULE } from '../endorsement/helpers';
import {
  SEED_POLICY,
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
  type GuardPeople,
} from '../guard/guard-fixtures';
import { ingestFeedback } from '../../../client/guard';
import { startReceiver, type Receiver } from './receiver';
import { testAdmin } from '../../support/principals';
import { deliveryWorkflowId } from '../../../workflows/notifications/contract';

const deliveryIdOf = (body: { id: string; type: string; subject: string }) =>
  deliveryWorkflowId({ eventId: body.id, type: body.type, subject: body.subject } as Parameters<
    typeof deliveryWorkflowId
  >[0]);

const ctx = useIntegrationContext('notifications');
const suffix = uniqueSuffix();
const source = `feedback://recent-reviewed?tenant=notify-${suffix}`;
const secret = `test-secret-${suffix}-0123456789`;
let people: GuardPeople;
let good: Receiver;
let dead: Receiver;
const added: string[] = [];

// Independent of Warden's own signing code: what any receiver would compute.
const hmac = (key: string, body: string) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
const about = (r: Receiver, subject: string) => r.requests.filter((q) => JSON.parse(q.body).subject === subject);

let n = 0;
const calibration = () => seedCalibrationRequest(people.proposer, source, `rollback-${suffix}-${++n}`);

beforeAll(async () => {
  people = await seedPeopleAndPolicy(ctx, suffix);
  await ingestFeedback(ctx, toNdjson(reviewedRows(`notify-${suffix}`, 40, { marker: suffix })), people.proposer);
  good = await startReceiver(200);
  dead = await startReceiver(500);
});

afterAll(async () => {
  // The database is shared with other files: leave no subscription behind to call a closed port.
  for (const id of added) await removeWebhook(ctx, id, await testAdmin(ctx)).catch(() => undefined);
  await good?.close();
  await dead?.close();
});

describe('webhook notifications', () => {
  it('delivers signed proposal.ready, approved and released events for a real proposal', async () => {
    const sub = await addWebhook(
      ctx,
      { url: good.url, events: ['proposal.ready', 'proposal.approved', 'proposal.released'], secret },
      await testAdmin(ctx),
    );
    added.push(sub.webhook.id);
    expect(sub.secretGenerated).toBe(false);
    expect((await webhooks(ctx)).find((w) => w.id === sub.webhook.id)).not.toHaveProperty('secret');

    const proposal = await proposeCalibrationUpdate(ctx, calibration());
    expect(proposal.state).toBe('awaiting_approval');
    await approve(ctx, proposal.proposal_id, { approval_id: `appr-${suffix}-1`, approver: people.approver });
    await release(ctx, proposal.proposal_id, people.approver);
    await ctx.temporal.workflow.getHandle(proposal.proposal_id).result();

    const received = await eventually(
      async () => about(good, proposal.proposal_id),
      (r) => r.length >= 3,
    );
    expect(received.map((r) => JSON.parse(r.body).type).sort()).toEqual([
      'proposal.approved',
      'proposal.ready',
      'proposal.released',
    ]);
    for (const r of received) {
      const body = JSON.parse(r.body);
      expect(r.headers['x-warden-signature']).toBe(hmac(secret, r.body));
      expect(r.headers['x-warden-signature']).not.toBe(hmac(`${secret}x`, r.body));
      expect(r.headers['x-warden-event']).toBe(body.type);
      expect(r.headers['x-warden-delivery']).toBe(`${body.id}.${sub.webhook.id}`);
      expect(body).toMatchObject({
        subject: proposal.proposal_id,
        workflow_id: proposal.proposal_id,
        data: { policyId: SEED_POLICY.policy_id },
      });
    }
    expect(JSON.parse(received.find((r) => JSON.parse(r.body).type === 'proposal.approved')!.body).data.approver).toBe(
      people.approver,
    );

    const recorded = await eventually(
      () => webhookDeliveries(ctx, { webhook: sub.webhook.id }),
      (d) => d.filter((x) => x.subject === proposal.proposal_id && x.status === 'delivered').length === 3,
    );
    for (const d of recorded.filter((x) => x.subject === proposal.proposal_id)) {
      expect(d).toMatchObject({ status: 'delivered', attempts: 1, responseCode: 200, lastError: null });
    }

    // The secret stays in its table: not in provenance, not in the loop's or the delivery's history.
    const entries = await listProvenance(ctx.pool, { subject: `webhook:${sub.webhook.id}` });
    expect(entries.map((e) => e.kind)).toEqual(['webhook.added']);
    expect(JSON.stringify(entries)).not.toContain(secret);
    const histories = [proposal.proposal_id, ...received.map((r) => deliveryIdOf(JSON.parse(r.body)))];
    for (const id of histories) {
      const history = await ctx.temporal.workflow.getHandle(id).fetchHistory();
      expect(JSON.stringify(history)).not.toContain(Buffer.from(secret).toString('base64').slice(0, 24));
      expect(JSON.stringify(history)).not.toContain(secret);
      // The loop with its notify() calls, and each delivery, replay deterministically.
      await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, id);
    }
  });

  it('retries a receiver that always answers 500, records the delivery as failed, and the proposal still completes', async () => {
    const sub = await addWebhook(
      ctx,
      { url: dead.url, events: ['proposal.ready'], maxAttempts: 3 },
      await testAdmin(ctx),
    );
    added.push(sub.webhook.id);
    expect(sub.secretGenerated).toBe(true);

    const proposal = await proposeCalibrationUpdate(ctx, calibration());
    const [delivery] = await eventually(
      async () =>
        (await webhookDeliveries(ctx, { webhook: sub.webhook.id, event: 'proposal.ready' })).filter(
          (d) => d.subject === proposal.proposal_id,
        ),
      (d) => d.length === 1,
    );
    // The loop is not held up by the failing receiver: it is approved and released meanwhile.
    await approve(ctx, proposal.proposal_id, { approval_id: `appr-${suffix}-2`, approver: people.approver });
    await release(ctx, proposal.proposal_id, people.approver);
    expect(await ctx.temporal.workflow.getHandle(proposal.proposal_id).result()).toMatchObject({ state: 'released' });

    const failed = await eventually(
      async () =>
        (await webhookDeliveries(ctx, { webhook: sub.webhook.id })).find((d) => d.deliveryId === delivery!.deliveryId)!,
      (d) => d.status === 'failed',
    );
    expect(failed).toMatchObject({ attempts: 3, responseCode: 500, lastError: 'receiver answered 500' });
    expect(failed.finishedAt).not.toBeNull();
    const attempts = dead.requests.filter((r) => r.headers['x-warden-delivery'] === delivery!.deliveryId);
    expect(attempts).toHaveLength(3);
    // Every retry sends the same bytes under the same idempotency id, signed with the generated secret.
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    expect(attempts[0]!.headers['x-warden-signature']).toBe(hmac(sub.secret, attempts[0]!.body));

    const child = await ctx.temporal.workflow.getHandle(deliveryIdOf(JSON.parse(attempts[0]!.body))).result();
    expect(child).toMatchObject({ failed: 1 });
  });

  it('announces endorsements staged, promoted and rejected by operators', async () => {
    const sub = await addWebhook(
      ctx,
      { url: good.url, events: ['endorsement.staged', 'endorsement.promoted', 'endorsement.rejected'], secret },
      await testAdmin(ctx),
    );
    added.push(sub.webhook.id);
    const alice = await operator(ctx);
    const staged = await endorseRule(
      ctx,
      await freshAgent(ctx, { cooldownBaseSeconds: 3000, cooldownMaxSeconds: 3600 }),
      SEED_RULE,
      { decide: { decision: 'stage', principal: alice } },
    );
    await promote(ctx, staged.endorsementId, alice, 'announced early on purpose', { override: true });
    const rejected = await endorseRule(ctx, await freshAgent(ctx), SEED_RULE, { requestedBy: alice });
    await decide(ctx, rejected.endorsementId, 'reject', alice);

    const types = (subject: string) =>
      about(good, subject)
        .map((r) => JSON.parse(r.body).type)
        .sort();
    await eventually(
      async () => types(staged.endorsementId),
      (t) => t.length >= 2,
    );
    await eventually(
      async () => types(rejected.endorsementId),
      (t) => t.length >= 1,
    );
    expect(types(staged.endorsementId)).toEqual(['endorsement.promoted', 'endorsement.staged']);
    expect(types(rejected.endorsementId)).toEqual(['endorsement.rejected']);
    const promoted = about(good, staged.endorsementId).find((r) => JSON.parse(r.body).type === 'endorsement.promoted')!;
    expect(promoted.headers['x-warden-signature']).toBe(hmac(secret, promoted.body));
    expect(JSON.parse(promoted.body).data).toMatchObject({ by: alice });
  });

  it('refuses an unknown event type and a URL with credentials, naming the field', async () => {
    await expect(
      addWebhook(ctx, { url: good.url, events: ['proposal.exploded'] }, await testAdmin(ctx)),
    ).rejects.toThrow(/events/);
    await expect(
      addWebhook(ctx, { url: 'http://user:pw@127.0.0.1:1/x', events: ['proposal.ready'] }, await testAdmin(ctx)),
    ).rejects.toThrow(/url/);
    await expect(
      addWebhook(ctx, { url: 'ftp://127.0.0.1/x', events: ['proposal.ready'] }, await testAdmin(ctx)),
    ).rejects.toThrow(/url/);
  });
});
