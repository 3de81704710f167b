/**
 * The delivery workflow's id: what was announced about which subject, then the event's own
 * suffix, so the Temporal UI's list reads (`notify-proposal.ready-proposal-policy…-1a2b3c4d`) and
 * a retried start still finds the first run. Deliveries started before keep `notify-<event id>`.
 */
export function deliveryWorkflowId(event: { eventId: string; type: string; subject: string }): string {
  return `notify-${event.type}-${event.subject}-${event.eventId.replace(/^evt_/, '').slice(0, 8)}`;
}
