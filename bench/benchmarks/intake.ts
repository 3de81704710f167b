import type { AddressInfo } from 'node:net';
import { createApiServer } from '../../api/server';
import { buildAbpFromSpec } from '../../client/delegation';
import { createApiToken } from '../../db/access/api-tokens';
import { addPrincipal } from '../../db/access/principals';
import { demoAbpSpec } from '../../demo/delegation-abp';
import type { Benchmark } from '../benchmark';
import type { Figure } from '../result';
import { closedLoop } from '../load';
import { withLocalStack } from '../stack/local-stack';
import { summarize } from '../stats';

const CONCURRENCY = 8;

type Make = (n: number) => string;

/** Item 6: evidence and feedback through the HTTP API, one row and a thousand rows a request. */
export const intake: Benchmark = {
  name: 'intake',
  item: 6,
  title: 'Intake through the HTTP API',
  method:
    '`createApiServer` (api/server.ts) on a free port of 127.0.0.1 with a real worker behind it; clients POST NDJSON with ' +
    `\`fetch\` and a bearer token, ${CONCURRENCY} requests in flight (closed loop). Drift signals go to \`POST /api/v1/evidence\` for one built ABP (each ` +
    'with a fingerprint of its own, so no trigger trips), reviewed feedback to `POST /api/v1/guard/feedback`; batches of 1 row ' +
    'and of 1,000 rows. Events per second = rows stored / wall time; every response is checked (2xx, all rows stored).',
  limits:
    'A drift-signal request does not answer until the delegation monitor has run for the ABPs it touched ' +
    '(`evaluateAfterWrite` in client/delegation.ts: a workflow started, its evaluation activity — the trigger cards\' five ' +
    'statements, the unstarted reviews — and its result awaited), so a batch of one pays a workflow round trip per row, while ' +
    'a feedback request of one row is a single transaction. Batches of 1,000 amortise that: rows are validated, then stored ' +
    '500 to a statement (`INSERT … SELECT FROM unnest(…)`) inside one transaction (`storeIntakeBatch`, `insertFeedbackRows`), ' +
    'so what remains per row is parsing and validation in the API process and PGlite\'s work on the rows and their indexes. ' +
    'Left alone (client/delegation.ts): answering a drift write before its evaluation, coalesced per ABP (signal-with-start of ' +
    'one evaluation workflow per ABP that re-reads the evidence once however many writes arrived), would lift batches of one ' +
    'to the feedback figure, at the price of the evaluation report the response carries today',
  async run(ctx) {
    const single = ctx.size(300, 40);
    const thousands = ctx.size(12, 2);
    return withLocalStack({ log: ctx.log, poolSize: 16 }, async (stack) => {
      const w = stack.ctx;
      const spec = demoAbpSpec();
      await addPrincipal(w.pool, 'bench-admin', ['admin']);
      const abp = (await buildAbpFromSpec(w, { ...spec, scope: { ...spec.scope, contract_id: 'CTR-bench-intake' } }, 'bench-admin')).abp;
      await addPrincipal(w.pool, 'bench-intake', ['operator']);
      const { token } = await createApiToken(w.pool, { principal: 'bench-intake', label: 'benchmark' });
      const server = createApiServer(w);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const now = Date.now();
      const signal: Make = (n) =>
        JSON.stringify({ kind: 'drift_signal', signal_id: `sig-${n}`, abp_id: abp.abp_id, type: 'freshness', severity: 'green', fingerprint: { key: `fp-${n}`, version: 1 }, observed_at: new Date(now - n).toISOString() });
      const feedback: Make = (n) =>
        JSON.stringify({ prompt: `prompt ${n}`, response: `response ${n}`, label: n % 2 ? 'safe' : 'unsafe', tenant_id: 'tenant-a', metadata: { event_id: `evt-${n}`, reviewer_id: 'rev-1' }, timestamp: new Date(now - n).toISOString() });
      const post = async (path: string, make: Make, first: number, rows: number, stored: (body: any) => number) => {
        const lines = Array.from({ length: rows }, (_, k) => make(first + k)).join('\n');
        const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` }, body: lines });
        const body = await res.json();
        if (!res.ok || stored(body) !== rows) throw new Error(`${path}: HTTP ${res.status}, ${JSON.stringify(body).slice(0, 300)}`);
      };
      const kinds = [
        { key: 'signals', label: 'drift signals', path: '/api/v1/evidence', make: signal, stored: (b: any) => b.driftSignals.stored as number },
        { key: 'feedback', label: 'feedback events', path: '/api/v1/guard/feedback', make: feedback, stored: (b: any) => b.inserted as number },
      ];
      const figures: Figure[] = [];
      const samples: Record<string, number[]> = {};
      let next = 1;
      try {
        for (const k of kinds) {
          for (const [batch, requests] of [[1, single], [1000, thousands]] as const) {
            const offset = next;
            next += batch * requests;
            const r = await closedLoop(requests, CONCURRENCY, (i) => post(k.path, k.make, offset + i * batch, batch, k.stored));
            const s = summarize(r.latencies);
            figures.push({ key: `${k.key}_${batch}_rate`, label: `${k.label}, batches of ${batch}: events/s`, value: ((batch * requests) / r.wallMs) * 1000, unit: '/s' });
            figures.push({ key: `${k.key}_${batch}_p50`, label: `${k.label}, batches of ${batch}: request p50`, value: s.p50, unit: 'ms' });
            figures.push({ key: `${k.key}_${batch}_p99`, label: `${k.label}, batches of ${batch}: request p99`, value: s.p99, unit: 'ms' });
            samples[`${k.key}_batch${batch}_request_ms`] = r.latencies;
            ctx.log(`${k.label}, batches of ${batch}: ${requests} requests in ${(r.wallMs / 1000).toFixed(1)} s`);
          }
        }
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      return { parameters: { requestsOfOne: single, requestsOfThousand: thousands, concurrency: CONCURRENCY }, figures, samples, notes: [] };
    });
  },
};
