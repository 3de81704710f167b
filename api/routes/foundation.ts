import { z } from 'zod';
import { checkHealth } from '../../client/health';
import { grantPrincipal, principals } from '../../client/principals';
import { listProvenance, verifyProvenanceChain } from '../../db/provenance-log';
import type { Route } from '../route';

const principalBody = z.object({ name: z.string(), roles: z.array(z.string()).min(1, 'at least one role') });

export const foundationRoutes: Route[] = [
  {
    method: 'GET',
    path: '/healthz',
    async handler(ctx) {
      const health = await checkHealth(ctx, { checkApi: false });
      return { status: health.ok ? 200 : 503, body: health };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/principals',
    handler: async (ctx) => ({ principals: await principals(ctx) }),
  },
  {
    method: 'POST',
    path: '/api/v1/principals',
    async handler(ctx, req) {
      const body = principalBody.parse(req.body);
      return { status: 201, body: await grantPrincipal(ctx, body.name, body.roles) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/provenance',
    async handler(ctx, req) {
      const limit = z.coerce.number().int().min(1).max(1000).default(100).parse(req.query.get('limit') ?? undefined);
      return { entries: await listProvenance(ctx.pool, { subject: req.query.get('subject') ?? undefined, kind: req.query.get('kind') ?? undefined, limit }) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/provenance/verify',
    handler: async (ctx) => verifyProvenanceChain(ctx.pool, ctx.provenanceKey),
  },
];
