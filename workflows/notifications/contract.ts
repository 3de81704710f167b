import type { NotificationEvent } from '../../domain/notifications/events';
import { workflowRef } from '../workflow-ref';
import type { notificationDeliveryWorkflow } from './delivery';

/**
 * The notification delivery workflow's contract: started (by the startNotificationDelivery
 * activity, for workflows/notify.ts) with one event, it answers with what was delivered.
 */

/** One event's deliveries (workflow id `notify-<event id>`). */
export const notificationDeliveryWorkflowRef =
  workflowRef<typeof notificationDeliveryWorkflow>('notificationDeliveryWorkflow');

export type { NotificationEvent };

export interface DeliverySummary {
  eventId: string;
  delivered: number;
  failed: number;
}

/**
 * The id of an event's delivery workflow: what was announced about which subject, then the
 * event's own suffix, so the Temporal UI's list reads (`notify-proposal.ready-proposal-…-1a2b3c4d`)
 * and a retried start still finds the first run. Deliveries started before keep `notify-<event id>`.
 */
export function deliveryWorkflowId(event: Pick<NotificationEvent, 'eventId' | 'type' | 'subject'>): string {
  return `notify-${event.type}-${event.subject}-${event.eventId.replace(/^evt_/, '').slice(0, 8)}`;
}
