import { z } from 'zod';
import { addWebhook, removeWebhook, webhookDeliveries, webhooks } from '../../client/notifications';
import type { Route } from '../route';

// The subscription fields are parsed by the same schema as the CLI's (in addWebhook).
const actingPrincipal = z.object({ principal: z.string().min(1).optional() });

export const notificationRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/webhooks',
    handler: async (ctx) => ({ webhooks: await webhooks(ctx) }),
  },
  {
    method: 'POST',
    path: '/api/v1/webhooks',
    async handler(ctx, req) {
      const { principal } = actingPrincipal.parse(req.body ?? {});
      return { status: 201, body: await addWebhook(ctx, req.body, principal ?? null) };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/webhooks/:id',
    handler: async (ctx, req) => ({ removed: await removeWebhook(ctx, req.params.id!, req.query.get('principal')) }),
  },
  {
    method: 'GET',
    path: '/api/v1/webhook-deliveries',
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
