import { checkHealth } from '../../client/health';
import type { Route } from '../route';

/** The stack's health: public, so load balancers and `warden status` ask without a token. */
export const stackRoutes: Route[] = [
  {
    method: 'GET',
    path: '/healthz',
    public: true,
    summary: 'Health of Temporal, the database and the worker (503 when any is down)',
    async handler(ctx) {
      const health = await checkHealth(ctx, { checkApi: false });
      return { status: health.ok ? 200 : 503, body: health };
    },
  },
];
