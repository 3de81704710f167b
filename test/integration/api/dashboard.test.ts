import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server';
import { ingestEvidence } from '../../../client/delegation';
import { createApiToken } from '../../../db/access/api-tokens';
import { addPrincipal } from '../../../db/access/principals';
import { buildUniqueAbp, unique } from '../delegation/fixtures';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('dashboard-api');
let server: Server;
let base = '';
let token = '';

const get = (path: string, withToken = true) =>
  fetch(`${base}${path}`, { headers: withToken ? { authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  server = createApiServer(ctx);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const viewer = unique('dash-viewer');
  await addPrincipal(ctx.pool, viewer, ['auditor']);
  token = (await createApiToken(ctx.pool, { principal: viewer })).token;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the dashboard over HTTP', () => {
  it('serves its page, scripts and styles without a token, with their content types', async () => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/dashboard', 'text/html'],
      ['/dashboard/app.js', 'text/javascript'],
      ['/dashboard/style.css', 'text/css'],
    ] as const) {
      const res = await get(path, false);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
    }
    expect(await (await get('/', false)).text()).toContain('<script type="module" src="/dashboard/app.js">');
  });

  it('never serves a file outside the dashboard folder', async () => {
    for (const path of [
      '/dashboard/..%2Fpackage.json',
      '/dashboard/%2e%2e%2fpackage.json',
      '/dashboard/..%5cpackage.json',
      '/dashboard/.gitignore',
      '/dashboard/missing.js',
      '/dashboard/..%2f..%2fetc%2fpasswd',
    ]) {
      const res = await get(path, false);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toMatch(/devDependencies|root:/);
    }
  });

  it('answers the aggregate view only to a signed-in principal, with the Temporal UI links', async () => {
    expect((await get('/api/v1/dashboard', false)).status).toBe(401);
    const abp = await buildUniqueAbp(ctx);
    const view = (await (await get('/api/v1/dashboard')).json()) as any;
    const ns = encodeURIComponent(ctx.config.temporal.namespace);
    expect(view.temporal).toEqual({
      uiUrl: ctx.config.temporal.uiUrl.replace(/\/+$/, ''),
      namespace: ctx.config.temporal.namespace,
      workflowsUrl: `${ctx.config.temporal.uiUrl.replace(/\/+$/, '')}/namespaces/${ns}/workflows`,
    });
    expect(await (await get('/api/v1/temporal')).json()).toEqual(view.temporal);
    const panel = view.abps.find((a: { abpId: string }) => a.abpId === abp.abp_id);
    expect(panel.cards.map((c: { triggerId: string }) => c.triggerId)).toEqual([
      'DRT-001',
      'DRT-002',
      'DRT-003',
      'DRT-004',
    ]);
    expect(panel.history).toMatchObject([{ hash: abp.hash, source: 'build', current: true }]);
    expect(panel.verification.ok).toBe(true);
    expect(view.provenance.verification.ok).toBe(true);
    const history = (await (await get(`/api/v1/abps/${abp.abp_id}/history`)).json()) as any;
    expect(history.versions).toEqual(panel.history);
    const listed = (await (await get('/api/v1/abps')).json()) as any;
    expect(listed.abps).toContainEqual(
      expect.objectContaining({ abpId: abp.abp_id, abpHash: abp.hash, status: 'active' }),
    );
  });

  it('moves the change stamp when a loop records something', async () => {
    const abp = await buildUniqueAbp(ctx);
    const stamp = async () => ((await (await get('/api/v1/dashboard/stamp')).json()) as any).stamp as string;
    // Other files write to the shared database meanwhile, so a quiet moment is looked for rather than assumed;
    // a stamp that moved on every read (a clock in it) would never find one. Looked for until a
    // deadline, not for 20 reads: a file writing steadily alongside could move it on each of those.
    let before = await stamp();
    let stable = false;
    for (const until = Date.now() + 60_000; !stable && Date.now() < until;) {
      const next = await stamp();
      stable = next === before;
      before = next;
    }
    expect(stable).toBe(true);
    const row = {
      abp_id: abp.abp_id,
      type: 'verify',
      severity: 'red',
      fingerprint: { key: 'fp-dash', version: 'v1' },
      observed_at: new Date().toISOString(),
    };
    await ingestEvidence(ctx, JSON.stringify(row), { kind: 'drift_signal' });
    expect(((await (await get('/api/v1/dashboard/stamp')).json()) as any).stamp).not.toBe(before);
  });
});
