import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRoutes } from '../../../api/routes/metrics';
import { createApiServer } from '../../../api/server';
import { dismissReview, openReview } from '../../../client/delegation-reviews';
import { chat, endorseRule } from '../../../client/endorsement';
import { addWebhook, removeWebhook } from '../../../client/notifications';
import { buildUniqueAbp, principal } from '../delegation/fixtures';
import { BENIGN, eventually, freshAgent, operator, SEED_RULE } from '../endorsement/helpers';
import { useIntegrationContext } from '../../support/integration';
import { startReceiver, type Receiver } from './receiver';
import { testAdmin } from '../../support/principals';

const ctx = useIntegrationContext('metrics');
let server: Server;
let base = '';
let receiver: Receiver;
let webhookId = '';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// The Prometheus text format, as a scraper reads it (enough of it for these series).
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(): Promise<{ contentType: string | null; samples: Sample[] }> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type'), samples: parseExposition(await res.text()) };
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const series =
  (name: string, labels: Record<string, string> = {}) =>
  async () =>
    valueOf((await scrape()).samples, name, labels);

beforeAll(async () => {
  // No snapshot cache here, so each scrape sees the latest state (production caches 15 s).
  server = createApiServer(ctx, createMetricsRoutes({ cacheMs: 0 }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver = await startReceiver(200);
  // Both ends of a review: an event no subscription wants starts no notification workflow.
  webhookId = (
    await addWebhook(ctx, { url: receiver.url, events: ['review.opened', 'review.concluded'] }, await testAdmin(ctx))
  ).webhook.id;
});

afterAll(async () => {
  if (webhookId) await removeWebhook(ctx, webhookId, await testAdmin(ctx)).catch(() => undefined);
  await receiver?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

describe('GET /metrics', () => {
  it('serves Prometheus text with the workflow, trigger, review-age and webhook series, which follow a review as it moves', async () => {
    const first = await scrape();
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(valueOf(first.samples, 'warden_workflows', { kind: 'review', state: 'open' })).toBe(0);
    const deliveredBefore =
      valueOf(first.samples, 'warden_webhook_deliveries', { event: 'review.opened', status: 'delivered' }) ?? 0;

    const rev = await principal(ctx, 'rev', ['Reviewer']);
    const abp = await buildUniqueAbp(ctx);
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);

    // Open reviews are counted from PostgreSQL; an opened review is dormant (no workflow until its
    // first vote or its deadline), so visibility has no review workflow on this task queue yet.
    const open = await eventually(
      async () => (await scrape()).samples,
      (s) =>
        valueOf(s, 'warden_review_open_age_seconds', {
          review_id: review.reviewId,
          abp_id: abp.abp_id,
          trigger_id: 'DRT-002',
        }) !== undefined,
    );
    expect(valueOf(open, 'warden_reviews_open')).toBeGreaterThanOrEqual(1);
    expect(valueOf(open, 'warden_workflows', { kind: 'review', state: 'open' })).toBe(0);
    const pills = ['clear', 'armed', 'tripped'].map((state) =>
      valueOf(open, 'warden_trigger_state', { abp_id: abp.abp_id, trigger_id: 'DRT-002', state }),
    );
    expect(pills.filter((v) => v === 1)).toHaveLength(1);
    expect(pills.filter((v) => v === 0)).toHaveLength(2);
    expect(valueOf(open, 'warden_trigger_threshold', { abp_id: abp.abp_id, trigger_id: 'DRT-002' })).toBeGreaterThan(0);
    expect(
      valueOf(open, 'warden_trigger_current', { abp_id: abp.abp_id, trigger_id: 'DRT-002' }),
    ).toBeGreaterThanOrEqual(0);
    // review.opened went to the subscribed receiver (its delivery started by openReview) and is counted. The receiver hears other files'
    // reviews too (the subscription is the database's), so wait for this one, then for its count.
    await eventually(
      async () => receiver.requests.some((r) => JSON.parse(r.body).subject === review.reviewId),
      (received) => received,
    );
    await eventually(
      series('warden_webhook_deliveries', { event: 'review.opened', status: 'delivered' }),
      (v) => (v ?? 0) >= deliveredBefore + 1,
    );

    await dismissReview(ctx, review.reviewId, { principal: rev, reason: 'not needed' });
    const after = await eventually(
      async () => (await scrape()).samples,
      (s) =>
        valueOf(s, 'warden_workflows', { kind: 'review', state: 'dismissed' }) === 1 &&
        valueOf(s, 'warden_workflows', { kind: 'review', state: 'open' }) === 0,
    );
    expect(valueOf(after, 'warden_review_open_age_seconds', { review_id: review.reviewId })).toBeUndefined();
    // Each review transition announced itself through a notification workflow on this task queue.
    const notifications = after
      .filter((s) => s.name === 'warden_workflows' && s.labels.kind === 'notification')
      .reduce((sum, s) => sum + s.value, 0);
    expect(notifications).toBeGreaterThanOrEqual(2);
  });

  it('counts a staged endorsement and builds the shadow divergence histogram from scored samples', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 3000, cooldownMaxSeconds: 3600, samplingRate: 1 });
    expect(await series('warden_shadow_divergence_count', { agent_id: agent })()).toBeUndefined();
    const alice = await operator(ctx);
    await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    await eventually(series('warden_workflows', { kind: 'endorsement', state: 'staged' }), (v) => v === 1);

    const answer = await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true });
    expect(answer.sandboxDivergence).not.toBeNull();
    const s = (await scrape()).samples;
    expect(valueOf(s, 'warden_shadow_divergence_count', { agent_id: agent })).toBe(1);
    expect(valueOf(s, 'warden_shadow_divergence_sum', { agent_id: agent })).toBeCloseTo(answer.sandboxDivergence!, 6);
    expect(valueOf(s, 'warden_shadow_divergence_bucket', { agent_id: agent, le: '+Inf' })).toBe(1);
    const buckets = s.filter(
      (x) => x.name === 'warden_shadow_divergence_bucket' && x.labels.agent_id === agent && x.labels.le !== '+Inf',
    );
    const expected = buckets.map((b) => (answer.sandboxDivergence! <= Number(b.labels.le) ? 1 : 0));
    expect(buckets.map((b) => b.value)).toEqual(expected);
  });
});
