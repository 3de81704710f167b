import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { WardenConfig } from '../../../config/env';
import { createNotificationActivities } from '../../../activities/notifications';
import type { NotificationEvent } from '../../../domain/notifications/events';

/** A pool whose webhook_subscriptions hold one subscription per listed event type. */
function poolSubscribedTo(types: string[]): { pool: pg.Pool; reads: number } {
  const seen = { reads: 0 };
  const pool = {
    query: async (sql: string, params: unknown[]) => {
      if (!sql.includes('webhook_subscriptions')) throw new Error(`unexpected statement: ${sql}`);
      seen.reads += 1;
      return { rows: [{ wanted: types.includes(params[0] as string) }] };
    },
  } as unknown as pg.Pool;
  return Object.assign(seen, { pool });
}

function recordingClient(): { client: Client; started: string[] } {
  const started: string[] = [];
  const client = {
    // The mock activity context scopes the client to the activity's cancellation signal.
    withAbortSignal: <R>(_signal: AbortSignal, fn: () => Promise<R>) => fn(),
    workflow: {
      start: async (_ref: unknown, opts: { workflowId: string }) => {
        started.push(opts.workflowId);
        return { workflowId: opts.workflowId };
      },
    },
  } as unknown as Client;
  return { client, started };
}

const event = (type: NotificationEvent['type']): NotificationEvent => ({
  eventId: `evt_${type.replace('.', '')}0001`,
  type,
  subject: 'review-1',
  workflowId: 'review-1',
  occurredAt: '2026-11-30T10:00:00.000Z',
  facts: {},
});

describe('starting a notification delivery', () => {
  it('starts no delivery workflow for an event no subscription wants', async () => {
    const db = poolSubscribedTo(['proposal.ready']);
    const { client, started } = recordingClient();
    const acts = createNotificationActivities({ pool: db.pool, config: {} as WardenConfig, provenanceKey: 'k' });
    await new MockActivityEnvironment({}, { client }).run(acts.startNotificationDelivery, event('review.opened'));
    expect(db.reads).toBe(1);
    expect(started).toEqual([]);
  });

  it('starts one for an event a subscription wants', async () => {
    const db = poolSubscribedTo(['review.opened']);
    const { client, started } = recordingClient();
    const acts = createNotificationActivities({ pool: db.pool, config: {} as WardenConfig, provenanceKey: 'k' });
    await new MockActivityEnvironment({}, { client }).run(acts.startNotificationDelivery, event('review.opened'));
    expect(started).toEqual([expect.stringMatching(/^notify-review\.opened-review-1-/)]);
  });
});
