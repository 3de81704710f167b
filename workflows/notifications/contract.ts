import type { NotificationEvent } from '../../domain/notifications/events';
import { WardenKind, WardenState } from '../../domain/search-attributes';
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

/**
 * How one event's delivery workflow is started, by an activity (startNotificationDelivery) or by
 * the client that stored what the event announces: the same id, policies and UI summary either
 * way, so a second start of the same event finds the first.
 */
export function deliveryStartOptions(event: NotificationEvent, taskQueue: string) {
  return {
    workflowId: deliveryWorkflowId(event),
    taskQueue,
    args: [event] as [NotificationEvent],
    // A retried start finds the first run, running or finished; an event is delivered once.
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: WardenKind, value: 'notification' },
      { key: WardenState, value: 'delivering' },
    ],
    staticSummary: `Webhook notification ${event.type} for ${event.subject}`,
    staticDetails: `Announced by workflow ${event.workflowId}`,
  };
}
