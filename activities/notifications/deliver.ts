import { Context } from '@temporalio/activity';
import type { Queryable } from '../../db/pool';
import { signatureHeader } from '../../domain/non-workflow/webhook-signature';
import { isPermanentRefusal } from '../../domain/notifications/subscription';
import { failure } from '../../domain/temporal/failure-types';
import { findDeliveryToSend, recordAttempt } from '../../db/notifications/deliveries';

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_ERROR_LENGTH = 500;

export interface DeliveryAttempt {
  deliveryId: string;
  status: 'delivered' | 'already-finished';
  responseCode: number | null;
}

/**
 * One POST of a stored delivery, signed with its subscription's secret. Every attempt is recorded;
 * a failure throws so Temporal retries with backoff. The delivery id header stays the same across
 * retries: a receiver that saw it already can answer 2xx and do nothing.
 */
export async function deliverOnce(q: Queryable, deliveryId: string): Promise<DeliveryAttempt> {
  const delivery = await findDeliveryToSend(q, deliveryId);
  if (!delivery) throw failure('not_found', `delivery ${deliveryId} not found`);
  if (delivery.status === 'delivered' || delivery.status === 'failed') {
    return { deliveryId, status: 'already-finished', responseCode: delivery.responseCode };
  }
  const { secret } = delivery;
  if (secret === null) {
    await recordAttempt(q, deliveryId, {
      status: 'failed',
      responseCode: null,
      error: 'subscription removed before delivery',
    });
    throw failure('not_found', `subscription ${delivery.subscriptionId} was removed`);
  }

  let responseCode: number | null = null;
  let error: string;
  try {
    const res = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Warden-Webhooks/1',
        'x-warden-event': delivery.eventType,
        'x-warden-delivery': delivery.deliveryId,
        'x-warden-signature': signatureHeader(secret, delivery.body),
      },
      body: delivery.body,
      signal: AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), Context.current().cancellationSignal]),
      redirect: 'manual',
    });
    responseCode = res.status;
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) {
      await recordAttempt(q, deliveryId, { status: 'delivered', responseCode, error: null });
      return { deliveryId, status: 'delivered', responseCode };
    }
    error = `receiver answered ${res.status}`;
  } catch (cause) {
    error = `request failed: ${cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)}`;
  }
  error = error.slice(0, MAX_ERROR_LENGTH);
  const permanent = responseCode !== null && isPermanentRefusal(responseCode);
  await recordAttempt(q, deliveryId, { status: permanent ? 'failed' : 'retrying', responseCode, error });
  // A refused or unreachable receiver: 'unavailable', which the delivery workflow's retry policy
  // retries unless the refusal is permanent. Benign: a receiver being down is expected and recorded
  // above, not a Warden error to log as one.
  throw failure('unavailable', `${delivery.url}: ${error}`, { nonRetryable: permanent, benign: true });
}
