import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { CancellationScope, ParentClosePolicy, log, patched, startChild, uuid4, workflowInfo } from '@temporalio/workflow';
import type { NotificationEventType, NotificationFacts } from '../domain/notifications/events';
import { WardenKind, WardenState } from '../domain/search-attributes';
import { notificationDeliveryWorkflow } from './notifications/delivery';

/** Histories recorded before notifications existed replay without them. */
export const NOTIFY_PATCH = 'warden-notify-v1';

/**
 * Announces a loop transition to the webhooks subscribed to `type`. Call it from workflow code
 * with ids and small facts only (never prompts, responses or secrets: they would enter histories).
 *
 * Why an abandoned child workflow rather than an activity: an activity is owned by the workflow
 * that scheduled it, so the loop would either wait for a slow receiver's retries or, finishing
 * first, leave the delivery cancelled half-way. A child started with ParentClosePolicy.ABANDON
 * runs its own retry policy to the end whatever the loop does next, and shows up in the Temporal
 * UI on its own (WardenKind = "notification"). The loop awaits only the child's *start* (one
 * round trip to the server, no receiver involved): the server does not start an abandoned child
 * whose parent has already closed, so not awaiting could lose the last event of a workflow.
 * Every error is swallowed: a notification never fails, blocks or cancels a loop.
 */
export async function notify(type: NotificationEventType, subject: string, facts: NotificationFacts = {}): Promise<void> {
  if (!patched(NOTIFY_PATCH)) return;
  const info = workflowInfo();
  const event = {
    eventId: `evt_${uuid4().replace(/-/g, '')}`,
    type,
    subject,
    workflowId: info.workflowId,
    occurredAt: new Date(Date.now()).toISOString(),
    facts,
  };
  try {
    // Not cancellable: a loop being cancelled still announces what it had already done.
    await CancellationScope.nonCancellable(() =>
      startChild(notificationDeliveryWorkflow, {
        workflowId: `notify-${event.eventId}`,
        args: [event],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: WardenKind, value: 'notification' },
          { key: WardenState, value: 'delivering' },
        ],
        staticSummary: `Webhook notification ${type} for ${subject}`,
      }),
    );
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      // The workflow logger is replay-safe; the error is never rethrown.
      log.warn('notification could not be started', { type, subject, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
