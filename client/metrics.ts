import { Gauge, Histogram, Registry } from 'prom-client';
import type { TriggerCard } from '../activities/delegation/trigger-cards';
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

  new Gauge({
    name: 'warden_workflows',
    help: 'Warden workflows on this task queue by WardenKind and WardenState (Temporal visibility, open and closed)',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const w of (await read()).workflows) this.set({ kind: w.kind, state: w.state }, w.count);
    },
  });
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
  new Gauge({
    name: 'warden_review_open_age_seconds',
    help: 'Age of each open delegation review since it opened',
    labelNames: ['review_id', 'abp_id', 'trigger_id', 'severity'],
    registers: [registry],
    async collect() {
      this.reset();
      const t = now();
      for (const r of (await read()).openReviews) {
        this.set({ review_id: r.reviewId, abp_id: r.abpId, trigger_id: r.triggerId, severity: r.severity }, Math.max(0, (t - r.openedAtMs) / 1000));
      }
    },
  });
  new Gauge({
    name: 'warden_reviews_open',
    help: 'Open delegation reviews',
    registers: [registry],
    async collect() {
      this.set((await read()).openReviews.length);
    },
  });
  new Gauge({
    name: 'warden_trigger_state',
    help: 'Delegation trigger state of each active ABP: 1 for the current state (clear, armed or tripped), 0 otherwise',
    labelNames: ['abp_id', 'trigger_id', 'severity', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of (await read()).triggers) {
        for (const state of TRIGGER_STATES) this.set({ abp_id: c.abpId, trigger_id: c.triggerId, severity: c.severity, state }, c.state === state ? 1 : 0);
      }
    },
  });
  const triggerNumbers = [
    { name: 'warden_trigger_current', help: 'Current evidence count of each delegation trigger', pick: (c: TriggerCard) => c.current },
    { name: 'warden_trigger_threshold', help: 'Threshold of each delegation trigger', pick: (c: TriggerCard) => c.threshold },
  ];
  for (const { name, help, pick } of triggerNumbers) {
    new Gauge({
      name,
      help,
      labelNames: ['abp_id', 'trigger_id'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const c of (await read()).triggers) this.set({ abp_id: c.abpId, trigger_id: c.triggerId }, pick(c));
      },
    });
  }
  new Gauge({
    name: 'warden_webhook_deliveries',
    help: 'Webhook deliveries recorded, by event type and status (pending, retrying, delivered, failed)',
    labelNames: ['event', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of (await read()).deliveries) this.set({ event: d.eventType, status: d.status }, d.count);
    },
  });
  return registry;
}
