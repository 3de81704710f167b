import { Context } from '@temporalio/activity';
import { invalid } from '../../domain/errors';
import type { NotificationEvent } from '../../domain/notifications/events';
import { findForbiddenKey } from '../../domain/provenance/forbidden-content';
import { startOrFind } from '../../domain/temporal/start-or-find';
import { deliveryStartOptions, notificationDeliveryWorkflowRef } from '../../workflows/notifications/contract';
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
        client.workflow.start(notificationDeliveryWorkflowRef, deliveryStartOptions(event, info.taskQueue)),
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
