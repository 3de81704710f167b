import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import { deliveryBody, type NotificationEvent } from '../../domain/notifications/events';
import type { DeliveryStatus } from '../../domain/notifications/subscription';

export interface PendingDelivery {
  deliveryId: string;
  maxAttempts: number;
}

export interface DeliveryRecord {
  deliveryId: string;
  eventId: string;
  eventType: string;
  subject: string;
  subscriptionId: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  responseCode: number | null;
  lastError: string | null;
  createdAt: string;
  lastAttemptAt: string | null;
  finishedAt: string | null;
}

interface Row {
  delivery_id: string;
  event_id: string;
  event_type: string;
  subject: string;
  subscription_id: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  response_code: number | null;
  last_error: string | null;
  created_at: Date;
  last_attempt_at: Date | null;
  finished_at: Date | null;
}

/** The columns of DeliveryRecord, in its order (the body is read only to send it). */
const COLUMNS = `delivery_id, event_id, event_type, subject, subscription_id, url, status, attempts, response_code, last_error, created_at,
  last_attempt_at, finished_at`;

const fromRow = (r: Row): DeliveryRecord => camelRow(r);

/**
 * One row per subscriber of the event's type; a retried call inserts nothing new and returns
 * the rows still to send, so a re-run never sends a finished delivery again.
 */
export async function prepareDeliveries(q: Queryable, event: NotificationEvent): Promise<PendingDelivery[]> {
  await q.query(
    `INSERT INTO webhook_deliveries (delivery_id, event_id, event_type, subject, subscription_id, url, body)
     SELECT $1 || '.' || s.id, $1, $2, $3, s.id, s.url, $4
       FROM webhook_subscriptions s WHERE $2 = ANY (s.event_types)
     ON CONFLICT (event_id, subscription_id) DO NOTHING`,
    [event.eventId, event.type, event.subject, deliveryBody(event)],
  );
  const { rows } = await q.query<{ delivery_id: string; max_attempts: number }>(
    `SELECT d.delivery_id, s.max_attempts FROM webhook_deliveries d
       JOIN webhook_subscriptions s ON s.id = d.subscription_id
      WHERE d.event_id = $1 AND d.status IN ('pending', 'retrying') ORDER BY d.delivery_id`,
    [event.eventId],
  );
  return rows.map((r) => ({ deliveryId: r.delivery_id, maxAttempts: r.max_attempts }));
}

/**
 * A delivery with what sending it takes, in one read: the body, and the subscription's secret to
 * sign it (null once the subscription is removed). Only the delivery activity calls this; the
 * secret is never returned to a caller.
 */
export async function findDeliveryToSend(
  q: Queryable,
  deliveryId: string,
): Promise<(DeliveryRecord & { body: string; secret: string | null }) | undefined> {
  const { rows } = await q.query<Row & { body: string; secret: string | null }>(
    `SELECT ${COLUMNS}, body, secret
       FROM webhook_deliveries d LEFT JOIN (SELECT id, secret FROM webhook_subscriptions) s ON s.id = d.subscription_id
      WHERE d.delivery_id = $1`,
    [deliveryId],
  );
  return rows[0] ? camelRow(rows[0]) : undefined;
}

/** Records one attempt's outcome; a finished delivery is never reopened by a late retry. */
export async function recordAttempt(
  q: Queryable,
  deliveryId: string,
  outcome: { status: DeliveryStatus; responseCode: number | null; error: string | null },
): Promise<void> {
  await q.query(
    `UPDATE webhook_deliveries
        SET attempts = attempts + 1, status = $2, response_code = $3, last_error = $4, last_attempt_at = now(),
            finished_at = CASE WHEN $2 IN ('delivered', 'failed') THEN now() ELSE NULL END
      WHERE delivery_id = $1 AND status IN ('pending', 'retrying')`,
    [deliveryId, outcome.status, outcome.responseCode, outcome.error],
  );
}

/** The retry policy gave up: the delivery is failed, its last error kept. */
export async function markFailed(q: Queryable, deliveryId: string, error: string): Promise<void> {
  await q.query(
    `UPDATE webhook_deliveries SET status = 'failed', finished_at = now(), last_error = COALESCE(last_error, $2)
      WHERE delivery_id = $1 AND status IN ('pending', 'retrying')`,
    [deliveryId, error],
  );
}

export async function listDeliveries(
  q: Queryable,
  filter: { eventType?: string; subscriptionId?: string; limit?: number } = {},
): Promise<DeliveryRecord[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM webhook_deliveries
      WHERE ($1::text IS NULL OR event_type = $1) AND ($2::text IS NULL OR subscription_id = $2)
      ORDER BY created_at DESC, delivery_id LIMIT $3`,
    [filter.eventType ?? null, filter.subscriptionId ?? null, filter.limit ?? 100],
  );
  return rows.map(fromRow);
}

export async function countDeliveries(
  q: Queryable,
): Promise<{ eventType: string; status: DeliveryStatus; count: number }[]> {
  const { rows } = await q.query<{ event_type: string; status: DeliveryStatus; count: number }>(
    'SELECT event_type, status, count(*)::bigint AS count FROM webhook_deliveries GROUP BY event_type, status ORDER BY 1, 2',
  );
  return rows.map(camelRow);
}
