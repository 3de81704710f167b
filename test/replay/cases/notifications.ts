import type { WardenContext } from '../../../client/context';
import { proposeCalibrationUpdate } from '../../../client/guard';
import { addWebhook, removeWebhook } from '../../../client/notifications';
import type { NotificationEvent, NotificationEventType } from '../../../domain/notifications/events';
import type { notificationDeliveryWorkflow } from '../../../workflows/notifications/delivery';
import { startReceiver } from '../../integration/notifications/receiver';
import { guardScene } from './guard';
import type { ReplayCase } from './replay-case';
import { testAdmin } from '../../support/principals';

/** The event a loop announced, as its history holds it (the input of the activity that starts the delivery). */
async function announced(
  ctx: WardenContext,
  workflowId: string,
  type: NotificationEventType,
): Promise<NotificationEvent> {
  const events = (await ctx.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== 'startNotificationDelivery') continue;
    const event = JSON.parse(Buffer.from(scheduled.input!.payloads![0]!.data!).toString('utf8')) as NotificationEvent;
    if (event.type === type) return event;
  }
  throw new Error(`${workflowId} announced no ${type}`);
}

/**
 * Proposes a calibration (which announces proposal.ready) with webhooks answering `statuses`
 * subscribed, and returns the delivery workflow of that event once it has finished.
 */
async function deliveryOfProposalReady(
  ctx: WardenContext,
  rollbackId: string,
  statuses: number[],
  expected: { delivered: number; failed: number },
): Promise<string> {
  const receivers = await Promise.all(statuses.map((s) => startReceiver(s)));
  const hooks = [];
  try {
    for (const r of receivers)
      hooks.push(
        (await addWebhook(ctx, { url: r.url, events: ['proposal.ready'], maxAttempts: 3 }, await testAdmin(ctx)))
          .webhook.id,
      );
    const scene = await guardScene(ctx);
    const p = await proposeCalibrationUpdate(ctx, scene.calibration(rollbackId));
    const event = await announced(ctx, p.proposal_id, 'proposal.ready');
    const workflowId = `notify-${event.eventId}`;
    const summary = await ctx.temporal.workflow.getHandle<typeof notificationDeliveryWorkflow>(workflowId).result();
    if (summary.delivered !== expected.delivered || summary.failed !== expected.failed) {
      throw new Error(`delivery ${workflowId}: ${JSON.stringify(summary)}, expected ${JSON.stringify(expected)}`);
    }
    // The proposal itself is left waiting for approval: only the delivery is recorded here.
    await ctx.temporal.workflow
      .getHandle(p.proposal_id)
      .terminate('replay recording: only its notification was needed');
    return workflowId;
  } finally {
    // Later cases announce proposal.ready too: no subscription outlives its case.
    for (const id of hooks) await removeWebhook(ctx, id, await testAdmin(ctx));
    await Promise.all(receivers.map((r) => r.close()));
  }
}

const deliveryCase = (
  name: string,
  statuses: number[],
  expected: { delivered: number; failed: number },
): ReplayCase => ({
  workflow: 'notificationDeliveryWorkflow',
  name,
  record: async ({ ctx }) => [
    { caseName: name, workflowId: await deliveryOfProposalReady(ctx, `rollback-notify-${name}`, statuses, expected) },
  ],
});

export const notificationCases: ReplayCase[] = [
  deliveryCase('delivered', [200], { delivered: 1, failed: 0 }),
  // Always 500: retried up to the subscription's 3 attempts (retries are not history events; the
  // final failure and the failed mark are).
  deliveryCase('retried-then-failed', [500], { delivered: 0, failed: 1 }),
  deliveryCase('one-delivered-one-failed', [200, 500], { delivered: 1, failed: 1 }),
  deliveryCase('no-subscribers', [], { delivered: 0, failed: 0 }),
];
