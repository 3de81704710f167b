import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/pool';
import type { NotificationEventType } from '../../domain/notifications/events';

/** A subscription as every surface shows it: the secret is never read back out. */
export interface WebhookSubscription {
  id: string;
  url: string;
  events: NotificationEventType[];
  maxAttempts: number;
  createdBy: string | null;
  createdAt: string;
}

interface Row {
  id: string;
  url: string;
  event_types: NotificationEventType[];
  max_attempts: number;
  created_by: string | null;
  created_at: Date;
}

const COLUMNS = 'id, url, event_types, max_attempts, created_by, created_at';

function fromRow(r: Row): WebhookSubscription {
  return { id: r.id, url: r.url, events: r.event_types, maxAttempts: r.max_attempts, createdBy: r.created_by, createdAt: r.created_at.toISOString() };
}

export async function insertSubscription(
  q: Queryable,
  input: { url: string; events: NotificationEventType[]; secret: string; maxAttempts: number; createdBy: string | null },
): Promise<WebhookSubscription> {
  const id = `wh_${randomBytes(8).toString('hex')}`;
  const { rows } = await q.query<Row>(
    `INSERT INTO webhook_subscriptions (id, url, event_types, secret, max_attempts, created_by)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [id, input.url, [...new Set(input.events)], input.secret, input.maxAttempts, input.createdBy],
  );
  return fromRow(rows[0]!);
}

export async function listSubscriptions(q: Queryable): Promise<WebhookSubscription[]> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM webhook_subscriptions ORDER BY created_at, id`);
  return rows.map(fromRow);
}

export async function deleteSubscription(q: Queryable, id: string): Promise<WebhookSubscription | undefined> {
  const { rows } = await q.query<Row>(`DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('hex')}`;
}
