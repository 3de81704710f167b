import {
  CancellationScope,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { NotificationActivities } from '../activities/notifications';
import type { NotificationEventType, NotificationFacts } from '../domain/notifications/events';
import { innermostMessage } from '../domain/temporal/innermost-cause';

/** Histories recorded before notifications existed replay without them. */
export const NOTIFY_PATCH = 'warden-notify-v1';

// Starting the delivery workflow is one quick call to the Temporal frontend; a few bounded
// retries cover a blip, and if it still fails the event is dropped (logged), never the loop.
const starting = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 4 },
} as const;
const starter = proxyActivities<NotificationActivities>(starting);
// The same start as a local activity: it runs inside the workflow task that asks for it, so a loop
// that announces its end and then closes does both in one task (no activity task to dispatch, no
// second workflow task to take the result). The start is idempotent (the delivery's workflow id is
// the event's), so a local activity retried after a lost task starts nothing twice.
const inlineStarter = proxyLocalActivities<NotificationActivities>(starting);

/**
 * Announces a loop transition to the webhooks subscribed to `type`. Call it from workflow code
 * with ids and small facts only (never prompts, responses or secrets: they would enter histories).
 *
 * Why a detached workflow started by a short activity, rather than delivering from here or from a
 * child: an activity that delivers is owned by the loop, which would wait through a slow
 * receiver's retries or, finishing first, leave the delivery cut off. A child with
 * ParentClosePolicy.ABANDON is not started at all if the loop closes first, ties its completion
 * back into the loop's history, and stalls the time-skipping test server once its parent has
 * closed. The `startNotificationDelivery` activity instead starts `notificationDeliveryWorkflow`
 * as an independent workflow (id `notify-<event id>`, so a retried start finds the first) and
 * returns at once: the loop waits for one frontend call, never for a receiver, and the delivery
 * runs its own bounded retry policy whatever the loop does next.
 */
export async function notify(
  type: NotificationEventType,
  subject: string,
  facts: NotificationFacts = {},
  opts: { inline?: boolean; afterNotifyPatch?: boolean } = {},
): Promise<void> {
  // A caller whose own newer patch is in its history knows it announces without asking (no marker).
  if (!opts.afterNotifyPatch && !patched(NOTIFY_PATCH)) return;
  const event = {
    eventId: `evt_${uuid4().replace(/-/g, '')}`,
    type,
    subject,
    workflowId: workflowInfo().workflowId,
    occurredAt: new Date(Date.now()).toISOString(),
    facts,
  };
  try {
    // Not cancellable: a loop being cancelled still announces what it had already done.
    const start = opts.inline ? inlineStarter : starter;
    await CancellationScope.nonCancellable(() => start.startNotificationDelivery(event));
  } catch (error) {
    log.warn('notification dropped: its delivery workflow could not be started', {
      type,
      subject,
      eventId: event.eventId,
      error: innermostMessage(error),
    });
  }
}
