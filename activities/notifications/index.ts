import { ApplicationFailure } from '@temporalio/common';
import type { NotificationEvent } from '../../domain/notifications/events';
import { findForbiddenKey } from '../../domain/provenance/forbidden-content';
import type { ActivityDeps } from '../deps';
import { deliverOnce, type DeliveryAttempt } from './deliver';
import { markFailed, prepareDeliveries, type PendingDelivery } from './delivery-store';

export function createNotificationActivities(deps: ActivityDeps) {
  return {
    /** Stores one delivery per subscriber (idempotent) and returns those still to send. */
    async prepareNotificationDeliveries(event: NotificationEvent): Promise<PendingDelivery[]> {
      const forbidden = findForbiddenKey(event.facts, 'facts');
      if (forbidden) throw ApplicationFailure.nonRetryable(`notifications never carry text or secrets: ${forbidden} is not allowed`);
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
