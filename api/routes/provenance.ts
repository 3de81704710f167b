import { provenanceEntry, provenancePage, provenanceFilter } from '../../client/provenance-entries';
import { verifyProvenance } from '../../client/provenance-verify';
import type { Route } from '../route';

/** The signed, hash-chained audit log: its entries and its verification. */
export const provenanceRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/provenance',
    summary:
      'Provenance entries, newest first (filters: subject, kind prefix, actor or system, since, until; paging: limit, before=nextBefore)',
    async handler(ctx, req) {
      const q = req.query;
      const pick = (name: string) => q.get(name) || undefined;
      const filter = provenanceFilter.parse({
        subject: pick('subject'),
        kind: pick('kind'),
        actor: pick('actor'),
        since: pick('since'),
        until: pick('until'),
        before: pick('before'),
        limit: pick('limit'),
      });
      return provenancePage(ctx, filter);
    },
  },
  {
    method: 'GET',
    path: '/api/v1/provenance/entries/:seq',
    summary: 'One provenance entry in full, with its content hash, signature and link checked',
    handler: (ctx, req) => provenanceEntry(ctx, Number(req.params.seq)),
  },
  {
    method: 'GET',
    path: '/api/v1/provenance/verify',
    summary: 'Verify the whole provenance chain and its head against the anchor in Temporal; name the first bad entry',
    handler: async (ctx) => verifyProvenance(ctx.pool, ctx.temporal, ctx.provenanceKey),
  },
];
