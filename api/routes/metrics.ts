import type { Registry } from 'prom-client';
import type { WardenContext } from '../../client/context';
import { createWardenMetrics } from '../../client/metrics';
import { cachedSnapshot, readMetricsSnapshot } from '../../client/metrics-snapshot';
import type { Route } from '../route';
import { workerMetricsText } from '../worker-metrics';

/** How long one snapshot of visibility counts and tables serves scrapes. */
export const METRICS_CACHE_MS = 15_000;

/** `GET /metrics` in Prometheus text format; one registry (and snapshot cache) per context. */
export function createMetricsRoutes(opts: { cacheMs: number }): Route[] {
  const registries = new WeakMap<WardenContext, Registry>();
  return [
    {
      method: 'GET',
      path: '/metrics',
      // Scrapers carry no Warden token; the series hold counts and ids, never text.
      public: true,
      summary:
        'Prometheus metrics: workflows per kind and state, divergence, review age, trigger states, and the Temporal SDK worker series',
      async handler(ctx) {
        let registry = registries.get(ctx);
        if (!registry) {
          registry = createWardenMetrics(cachedSnapshot(() => readMetricsSnapshot(ctx), opts.cacheMs));
          registries.set(ctx, registry);
        }
        const [own, worker] = await Promise.all([registry.metrics(), workerMetricsText(ctx.workerMetricsUrl)]);
        return { status: 200, contentType: registry.contentType, body: own + worker };
      },
    },
  ];
}

export const metricsRoutes = createMetricsRoutes({ cacheMs: METRICS_CACHE_MS });
