import { Context } from '@temporalio/activity';
import { invalid } from '../../domain/errors';
import type { NotificationEvent } from '../../domain/notifications/events';
import { findForbiddenKey } from '../../domain/provenance/forbidden-content';
import { WardenKind, WardenState } from '../../domain/search-attributes';
import { startOrFind } from '../../domain/temporal/start-or-find';
import { deliveryWorkflowId, notificationDeliveryWorkflowRef } from '../../workflows/notifications/contract';
import type { ActivityDeps } from '../deps';
import { deliverOnce, type DeliveryAttempt } from './deliver';
import { markFailed, prepareDeliveries, type PendingDelivery } from '../../db/notifications/deliveries';
import { hasSubscriberFor } from '../../db/notifications/subscriptions';

export function createNotificationActivities(deps: ActivityDeps) {
  return {
    /**
     * Starts the delivery of one event as a workflow of its own on this worker's task queue and
     * returns without waiting for it (see workflows/notify.ts for why). An event no subscription
     * wants starts none: every review would otherwise start a delivery run of its own per event
     * (a workflow start, a task, a module evaluation and a cached run on the worker) to find no
     * subscriber. The read runs when the event is announced, as the delivery's own read would a
     * moment later, so a subscription stored before the event still receives it.
     */
    async startNotificationDelivery(event: NotificationEvent): Promise<void> {
      if (!(await hasSubscriberFor(deps.pool, event.type))) return;
      const { client, info } = Context.current();
      await startOrFind(() =>
        client.workflow.start(notificationDeliveryWorkflowRef, {
          workflowId: deliveryWorkflowId(event),
          taskQueue: info.taskQueue,
          args: [event],
          // A retried start finds the first run, running or finished; an event is delivered once.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: WardenKind, value: 'notification' },
            { key: WardenState, value: 'delivering' },
          ],
          staticSummary: `Webhook notification ${event.type} for ${event.subject}`,
          staticDetails: `Announced by workflow ${event.workflowId}`,
        }),
      );
    },
    /** Stores one delivery per subscriber (idempotent) and returns those still to send. */
    async prepareNotificationDeliveries(event: NotificationEvent): Promise<PendingDelivery[]> {
      const forbidden = findForbiddenKey(event.facts, 'facts');
      if (forbidden) throw invalid(`notifications never carry text or secrets: ${forbidden} is not allowed`);
      return prepareDeliveries(deps.pool, event);
    },
    async deliverNotification(input: { deliveryId: string }): Promise<DeliveryAttempt> {
      return deliverOnce(deps.pool, input.deliveryId);
    },
    async markNotificationFailed(input: { deliveryId: string; error: string }): Promise<void> {
      await markFailed(deps.pool, input.deliveryId, input.error);
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
