import { z } from 'zod';
import { KEY_TEXT_BYTES, storableText } from '../input/storable-text';
import { NOTIFICATION_EVENT_TYPES } from './events';

export const DEFAULT_MAX_ATTEMPTS = 6;

/** Receiver URLs are stored, listed and logged: bounded and storable like any key. */
const MAX_URL_BYTES = 2_000;

/**
 * `warden webhook add` and `POST /api/v1/webhooks` both parse with this. Unknown keys are refused
 * (a misspelt `max_attempts` would otherwise be dropped without a word).
 */
export const webhookInput = z.strictObject({
  url: storableText(MAX_URL_BYTES)
    .pipe(z.url({ protocol: /^https?$/, error: 'url: an http:// or https:// URL' }))
    .refine((u) => {
      // A string that is no URL at all was refused just above; parsing it here would throw.
      if (!URL.canParse(u)) return true;
      const parsed = new URL(u);
      return !parsed.username && !parsed.password;
    }, 'url: must not carry credentials; use --secret for signing'),
  events: z
    .array(z.enum(NOTIFICATION_EVENT_TYPES, { error: `events: each one of ${NOTIFICATION_EVENT_TYPES.join(', ')}` }))
    .min(1, 'events: at least one event type')
    .max(NOTIFICATION_EVENT_TYPES.length * 2, 'events: each event type once'),
  secret: storableText(KEY_TEXT_BYTES).min(16, 'secret: at least 16 characters').max(256).optional(),
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
