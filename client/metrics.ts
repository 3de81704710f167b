import { Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsSnapshot } from './metrics-snapshot';

/** Bucket bounds of the shadow divergence histogram: divergence scores lie in [0, 1]. */
export const DIVERGENCE_BUCKETS = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
const TRIGGER_STATES = ['clear', 'armed', 'tripped'] as const;

/**
 * Warden's Prometheus registry. Every series is derived at scrape time from a snapshot of
 * Temporal visibility and PostgreSQL (the record of truth), so several API processes report the
 * same values and nothing is lost on restart; `snapshot` decides how fresh that is.
 */
export function createWardenMetrics(snapshot: () => Promise<MetricsSnapshot>, now = () => Date.now()): Registry {
  const registry = new Registry();
  // Every collect() of one scrape shares one snapshot read.
  let current: Promise<MetricsSnapshot> | undefined;
  const read = () => (current ??= snapshot().finally(() => queueMicrotask(() => (current = undefined))));

  /** A gauge whose series are exactly the rows of the scrape's snapshot (series gone from it vanish). */
  const snapshotGauge = (
    name: string,
    help: string,
    labelNames: string[],
    rows: (s: MetricsSnapshot) => [Record<string, string>, number][],
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [labels, value] of rows(await read())) this.set(labels, value);
      },
    });

  snapshotGauge(
    'warden_workflows',
    'Warden workflows on this task queue by WardenKind and WardenState (Temporal visibility, open and closed; ' +
      'an open review has a workflow only once voted on or near its deadline: warden_reviews_open counts them all)',
    ['kind', 'state'],
    (s) => s.workflows.map((w) => [{ kind: w.kind, state: w.state }, w.count]),
  );
  new Histogram({
    name: 'warden_shadow_divergence',
    help: 'Divergence scores of scored shadow samples of staged endorsements, per agent',
    labelNames: ['agent_id'],
    buckets: DIVERGENCE_BUCKETS,
    registers: [registry],
    async collect() {
      // Rebuilt from the table on each scrape: samples are scored by activities on any worker.
      this.reset();
      for (const d of (await read()).divergences) this.observe({ agent_id: d.agentId }, d.divergence);
    },
  });
  snapshotGauge(
    'warden_review_open_age_seconds',
    'Age of each open delegation review since it opened',
    ['review_id', 'abp_id', 'trigger_id', 'severity'],
    (s) => {
      const t = now();
      return s.openReviews.map((r) => [
        { review_id: r.reviewId, abp_id: r.abpId, trigger_id: r.triggerId, severity: r.severity },
        Math.max(0, (t - r.openedAtMs) / 1000),
      ]);
    },
  );
  new Gauge({
    name: 'warden_reviews_open',
    help: 'Open delegation reviews (PostgreSQL), with or without their workflow yet',
    registers: [registry],
    async collect() {
      this.set((await read()).openReviews.length);
    },
  });
  snapshotGauge(
    'warden_trigger_state',
    'Delegation trigger state of each active ABP: 1 for the current state (clear, armed or tripped), 0 otherwise',
    ['abp_id', 'trigger_id', 'severity', 'state'],
    (s) =>
      s.triggers.flatMap((c) =>
        TRIGGER_STATES.map((state): [Record<string, string>, number] => [
          { abp_id: c.abpId, trigger_id: c.triggerId, severity: c.severity, state },
          c.state === state ? 1 : 0,
        ]),
      ),
  );
  snapshotGauge(
    'warden_trigger_current',
    'Current evidence count of each delegation trigger',
    ['abp_id', 'trigger_id'],
    (s) => s.triggers.map((c) => [{ abp_id: c.abpId, trigger_id: c.triggerId }, c.current]),
  );
  snapshotGauge('warden_trigger_threshold', 'Threshold of each delegation trigger', ['abp_id', 'trigger_id'], (s) =>
    s.triggers.map((c) => [{ abp_id: c.abpId, trigger_id: c.triggerId }, c.threshold]),
  );
  snapshotGauge(
    'warden_webhook_deliveries',
    'Webhook deliveries recorded, by event type and status (pending, retrying, delivered, failed)',
    ['event', 'status'],
    (s) => s.deliveries.map((d) => [{ event: d.eventType, status: d.status }, d.count]),
  );
  return registry;
}
