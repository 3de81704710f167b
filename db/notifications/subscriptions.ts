import { randomBytes } from 'node:crypto';
import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
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
  events: NotificationEventType[];
  max_attempts: number;
  created_by: string | null;
  created_at: Date;
}

/** The columns of WebhookSubscription, in its order: the secret is never read back out. */
const COLUMNS = 'id, url, event_types AS events, max_attempts, created_by, created_at';

const fromRow = (r: Row): WebhookSubscription => camelRow(r);

export async function insertSubscription(
  q: Queryable,
  input: {
    url: string;
    events: NotificationEventType[];
    secret: string;
    maxAttempts: number;
    createdBy: string | null;
  },
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

/**
 * Whether any subscription wants events of `type`: one read of a table of a few rows, so a loop
 * event nobody subscribes to costs this instead of a delivery workflow run of its own.
 */
/** Whether any subscription wants the event type `type` names (a parameter or a literal), as an SQL expression. */
export const subscribedTo = (type: string) =>
  `EXISTS (SELECT 1 FROM webhook_subscriptions WHERE ${type} = ANY (event_types))`;

export async function hasSubscriberFor(q: Queryable, type: string): Promise<boolean> {
  const { rows } = await q.query<{ wanted: boolean }>(`SELECT ${subscribedTo('$1')} AS wanted`, [type]);
  return rows[0]?.wanted === true;
}
