/**
 * The state transitions Warden announces to webhooks. Workflow code imports this module, so it
 * stays free of I/O and Node built-ins.
 */
export const NOTIFICATION_EVENT_TYPES = [
  'endorsement.staged',
  'endorsement.promoted',
  'endorsement.rejected',
  'endorsement.inconclusive',
  'review.opened',
  'review.timed_out',
  'review.concluded',
  'proposal.ready',
  'proposal.approved',
  'proposal.released',
  'proposal.expired',
] as const;

export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

/** Small facts only (ids, states, counts, principals): never prompts, responses or secrets. */
export type NotificationFacts = Record<string, string | number | boolean | null>;

export interface NotificationEvent {
  /** Unique per event; every delivery of it names it, so receivers can de-duplicate. */
  eventId: string;
  type: NotificationEventType;
  /** The id of what changed: an endorsement, review or proposal id. */
  subject: string;
  /** The workflow that made the transition (its id links to the Temporal UI). */
  workflowId: string;
  occurredAt: string;
  facts: NotificationFacts;
}

/** The JSON document a receiver gets; its exact bytes are what the signature covers. */
export function deliveryBody(event: NotificationEvent): string {
  return JSON.stringify({
    id: event.eventId,
    type: event.type,
    subject: event.subject,
    workflow_id: event.workflowId,
    occurred_at: event.occurredAt,
    data: event.facts,
  });
}
