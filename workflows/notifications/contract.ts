import type { NotificationEvent } from '../../domain/notifications/events';
import { workflowRef } from '../workflow-ref';
import type { notificationDeliveryWorkflow } from './delivery';

/**
 * The notification delivery workflow's contract: started (by the startNotificationDelivery
 * activity, for workflows/notify.ts) with one event, it answers with what was delivered.
 */

/** One event's deliveries (workflow id `notify-<event id>`). */
export const notificationDeliveryWorkflowRef = workflowRef<typeof notificationDeliveryWorkflow>('notificationDeliveryWorkflow');

export type { NotificationEvent };

export interface DeliverySummary {
  eventId: string;
  delivered: number;
  failed: number;
}

/** The id of an event's delivery workflow: a retried start finds the first one. */
export function deliveryWorkflowId(event: Pick<NotificationEvent, 'eventId'>): string {
  return `notify-${event.eventId}`;
}
