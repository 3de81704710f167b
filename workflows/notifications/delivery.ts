import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { NotificationActivities } from '../../activities/notifications';
import { WardenState } from '../../domain/search-attributes';
import { innermostMessage } from '../../domain/temporal/innermost-cause';
import type { DeliverySummary, NotificationEvent } from './contract';

const store = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

// Backoff 1 s, 2 s, 4 s … capped at a minute; the subscription's max attempts (1–20) bounds the
// whole delivery, so a dead receiver is given up on and recorded as failed instead of retried forever.
function sender(maxAttempts: number) {
  return proxyActivities<NotificationActivities>({
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: maxAttempts,
    },
  });
}

/**
 * Delivers one event to every subscribed webhook, each on its own bounded retry policy. Started
 * for `notify` as a workflow of its own: whatever happens here never reaches the loop that
 * announced it.
 */
export async function notificationDeliveryWorkflow(event: NotificationEvent): Promise<DeliverySummary> {
  const pending = await store.prepareNotificationDeliveries(event);
  setCurrentDetails(`**delivering** — ${event.type} for ${event.subject} to ${pending.length} webhook(s)`);
  const outcomes = await Promise.all(
    pending.map(async ({ deliveryId, maxAttempts }) => {
      try {
        await sender(maxAttempts).deliverNotification({ deliveryId });
        return true;
      } catch (error) {
        await store.markNotificationFailed({ deliveryId, error: innermostMessage(error) });
        return false;
      }
    }),
  );
  const summary = {
    eventId: event.eventId,
    delivered: outcomes.filter(Boolean).length,
    failed: outcomes.filter((ok) => !ok).length,
  };
  const state = summary.failed > 0 ? 'failed' : pending.length === 0 ? 'no_subscribers' : 'delivered';
  upsertSearchAttributes([{ key: WardenState, value: state }]);
  setCurrentDetails(
    `**${state}** — ${event.type} for ${event.subject}: ${summary.delivered} delivered, ${summary.failed} failed`,
  );
  return summary;
}
