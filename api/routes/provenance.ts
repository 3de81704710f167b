import { provenanceEntries, provenanceFilter } from '../../client/provenance-entries';
import { verifyProvenance } from '../../client/provenance-verify';
import type { Route } from '../route';

/** The signed, hash-chained audit log: its entries and its verification. */
export const provenanceRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/provenance',
    summary: 'Recent provenance entries, newest first (filters: subject, kind, limit)',
    async handler(ctx, req) {
      const q = req.query;
      const filter = provenanceFilter.parse({ subject: q.get('subject') ?? undefined, kind: q.get('kind') ?? undefined, limit: q.get('limit') ?? undefined });
      return { entries: await provenanceEntries(ctx, filter) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/provenance/verify',
    summary: 'Verify the whole provenance chain and its head against the anchor in Temporal; name the first bad entry',
    handler: async (ctx) => verifyProvenance(ctx.pool, ctx.temporal, ctx.provenanceKey),
  },
];
