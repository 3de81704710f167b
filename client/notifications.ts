import { z } from 'zod';
import { countDeliveries, listDeliveries, type DeliveryRecord } from '../db/notifications/deliveries';
import {
  deleteSubscription,
  insertSubscription,
  listSubscriptions,
  type WebhookSubscription,
} from '../db/notifications/subscriptions';
import { generateSecret } from '../domain/non-workflow/webhook-signature';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import { NOTIFICATION_EVENT_TYPES } from '../domain/notifications/events';
import { webhookInput } from '../domain/notifications/subscription';
import { notFound } from '../domain/errors';
import { listLimit } from '../domain/input/list-limit';
import { requireAdmin } from './administrator';
import type { WardenContext } from './context';

export interface AddedWebhook {
  webhook: WebhookSubscription;
  /** Shown once, at creation: receivers verify X-Warden-Signature with it. */
  secret: string;
  secretGenerated: boolean;
}

// Provenance names where deliveries go (origin only: a path or query may carry a receiver's token).
const origin = (url: string) => new URL(url).origin;

/**
 * `warden webhook add`: stores the subscription for `actor`, an admin, and records it (without its secret) in provenance.
 * `input` is whatever the caller was given (CLI flags, HTTP body): parsed here, errors name the field.
 */
export async function addWebhook(ctx: WardenContext, input: unknown, actor: string | null): Promise<AddedWebhook> {
  const parsed = webhookInput.parse(input);
  await requireAdmin(ctx.pool, actor, 'add webhooks');
  const secret = parsed.secret ?? generateSecret();
  return withProvenanceTransaction(ctx.pool, async (tx) => {
    const webhook = await insertSubscription(tx, {
      url: parsed.url,
      events: parsed.events,
      secret,
      maxAttempts: parsed.maxAttempts,
      createdBy: actor,
    });
    await appendProvenance(tx, ctx.provenanceKey, {
      kind: 'webhook.added',
      subject: `webhook:${webhook.id}`,
      actor,
      payload: { events: webhook.events, origin: origin(webhook.url), maxAttempts: webhook.maxAttempts },
    });
    return { webhook, secret, secretGenerated: parsed.secret === undefined };
  });
}

export function webhooks(ctx: WardenContext): Promise<WebhookSubscription[]> {
  return listSubscriptions(ctx.pool);
}

export async function removeWebhook(
  ctx: WardenContext,
  id: string,
  actor: string | null,
): Promise<WebhookSubscription> {
  await requireAdmin(ctx.pool, actor, 'remove webhooks');
  return withProvenanceTransaction(ctx.pool, async (tx) => {
    const removed = await deleteSubscription(tx, id);
    if (!removed) throw notFound(`webhook ${id}`);
    await appendProvenance(tx, ctx.provenanceKey, {
      kind: 'webhook.removed',
      subject: `webhook:${id}`,
      actor,
      payload: { events: removed.events, origin: origin(removed.url) },
    });
    return removed;
  });
}

export const deliveriesFilter = z.object({
  event: z.enum(NOTIFICATION_EVENT_TYPES, { error: `event: one of ${NOTIFICATION_EVENT_TYPES.join(', ')}` }).optional(),
  webhook: z
    .string()
    .regex(/^wh_[a-f0-9]{16}$/, 'webhook: a webhook id (wh_…)')
    .optional(),
  limit: listLimit(100),
});

/** `warden webhook deliveries`: newest first, each with its attempts, status and last error. */
export function webhookDeliveries(ctx: WardenContext, filter: Record<string, unknown> = {}): Promise<DeliveryRecord[]> {
  const f = deliveriesFilter.parse(filter);
  return listDeliveries(ctx.pool, { eventType: f.event, subscriptionId: f.webhook, limit: f.limit });
}

export function webhookDeliveryCounts(ctx: WardenContext) {
  return countDeliveries(ctx.pool);
}
