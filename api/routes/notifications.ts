import { z } from 'zod';
import { addWebhook, removeWebhook, webhookDeliveries, webhooks } from '../../client/notifications';
import { webhookInput } from '../../domain/notifications/subscription';
import { actingPrincipalField, ADMIN_ROLE } from '../auth';
import type { Route } from '../route';

// The subscription fields are parsed by the same schema as the CLI's (in addWebhook); `as` is
// filled from the bearer token.
const actingPrincipal = z.object({ as: actingPrincipalField.optional() });

export const notificationRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/webhooks',
    // Admin only: receiver URLs often carry a credential in their path (chat webhooks do).
    roles: [ADMIN_ROLE],
    summary: 'Webhook subscriptions (secrets are never shown)',
    handler: async (ctx) => ({ webhooks: await webhooks(ctx) }),
  },
  {
    method: 'POST',
    path: '/api/v1/webhooks',
    roles: [ADMIN_ROLE],
    actsAs: true,
    summary: 'Subscribe a URL to event types; the signing secret is returned once',
    bodySchema: webhookInput,
    async handler(ctx, req) {
      // `as` is who acts, not part of the subscription, whose schema refuses unknown keys.
      const { as, ...subscription } = (req.body ?? {}) as Record<string, unknown>;
      const acting = actingPrincipal.parse({ as });
      return { status: 201, body: await addWebhook(ctx, subscription, acting.as ?? null) };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/webhooks/:id',
    roles: [ADMIN_ROLE],
    actsAs: true,
    summary: 'Remove a webhook subscription (its delivery history is kept)',
    handler: async (ctx, req) => ({ removed: await removeWebhook(ctx, req.params.id!, req.query.get('as')) }),
  },
  {
    method: 'GET',
    path: '/api/v1/webhook-deliveries',
    roles: [ADMIN_ROLE],
    summary:
      'Recent webhook deliveries with attempts, status, response code and last error (?event=, ?webhook=, ?limit=)',
    async handler(ctx, req) {
      const q = req.query;
      return {
        deliveries: await webhookDeliveries(ctx, {
          event: q.get('event') ?? undefined,
          webhook: q.get('webhook') ?? undefined,
          limit: q.get('limit') ?? undefined,
        }),
      };
    },
  },
];
