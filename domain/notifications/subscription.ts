import { z } from 'zod';
import { NOTIFICATION_EVENT_TYPES } from './events';

export const DEFAULT_MAX_ATTEMPTS = 6;

/** `warden webhook add` and `POST /api/v1/webhooks` both parse with this. */
export const webhookInput = z.object({
  url: z
    .url({ protocol: /^https?$/, error: 'url: an http:// or https:// URL' })
    .refine((u) => !new URL(u).username && !new URL(u).password, 'url: must not carry credentials; use --secret for signing'),
  events: z
    .array(z.enum(NOTIFICATION_EVENT_TYPES, { error: `events: each one of ${NOTIFICATION_EVENT_TYPES.join(', ')}` }))
    .min(1, 'events: at least one event type'),
  secret: z.string().min(16, 'secret: at least 16 characters').max(256).optional(),
  maxAttempts: z.coerce.number().int().min(1).max(20).default(DEFAULT_MAX_ATTEMPTS),
});
export type WebhookInput = z.input<typeof webhookInput>;

export const deliveryStatuses = ['pending', 'retrying', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/**
 * 4xx answers other than timeouts and rate limits mean the request itself is refused, and a
 * redirect is not followed (the signed body would go elsewhere): retrying will not help either.
 */
export function isPermanentRefusal(status: number): boolean {
  return status >= 300 && status < 500 && status !== 408 && status !== 429;
}
