import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server';
import { createApiToken, revokeApiToken } from '../../../db/access/api-tokens';
import { addPrincipal } from '../../../db/access/principals';
import { cliEnv, runCli } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('auth');
let server: Server;
let base = '';
const suffix = Math.random().toString(16).slice(2, 8);
const admin = `auth-admin-${suffix}`;
const viewer = `auth-viewer-${suffix}`;
let adminToken = '';
let viewerToken = '';

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

beforeAll(async () => {
  server = createApiServer(ctx);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await addPrincipal(ctx.pool, admin, ['admin']);
  await addPrincipal(ctx.pool, viewer, ['Reviewer']);
  adminToken = (await createApiToken(ctx.pool, { principal: admin })).token;
  viewerToken = (await createApiToken(ctx.pool, { principal: viewer, label: 'dashboard' })).token;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HTTP API authentication and roles', () => {
  it('refuses a request without a token with 401 and says how to get one', async () => {
    const r = await call('GET', '/api/v1/principals');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(r.body.error).toMatch(/warden token create/);
  });

  it('refuses malformed, unknown and revoked tokens with 401', async () => {
    expect((await call('GET', '/api/v1/me', 'not-a-token')).body.error).toMatch(/malformed/);
    expect((await call('GET', '/api/v1/me', `wdn_tok_000000000000_${'0'.repeat(48)}`)).body.error).toMatch(
      /unknown token/,
    );
    const { token, info } = await createApiToken(ctx.pool, { principal: viewer });
    expect((await call('GET', '/api/v1/me', token)).status).toBe(200);
    await revokeApiToken(ctx.pool, info.id);
    const revoked = await call('GET', '/api/v1/me', token);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toMatch(/revoked/);
  });

  it('tells a token holder who they are', async () => {
    const r = await call('GET', '/api/v1/me', viewerToken);
    expect(r.body.principal).toEqual({ name: viewer, roles: ['Reviewer'] });
  });

  it('answers health and metrics without a token', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  it('refuses an admin operation to a principal without the admin role (403), allows it with', async () => {
    const refused = await call('POST', '/api/v1/principals', viewerToken, { name: `x-${suffix}`, roles: ['Reviewer'] });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/lacks the role this needs \(admin\)/);
    const { rowCount } = await ctx.pool.query('SELECT 1 FROM principals WHERE name = $1', [`x-${suffix}`]);
    expect(rowCount).toBe(0);
    const allowed = await call('POST', '/api/v1/principals', adminToken, { name: `x-${suffix}`, roles: ['Reviewer'] });
    expect(allowed.status).toBe(201);
  });

  it('a token acts only for its own principal', async () => {
    const r = await call('POST', '/api/v1/guard/proposals/none/approve', viewerToken, {
      as: admin,
      approval_id: 'a-1',
    });
    expect(r.status).toBe(403);
    expect(r.body.error).toBe(`this token belongs to ${viewer}; it cannot act as ${admin}`);
  });

  it('the CLI creates, lists and revokes tokens; only the hash is stored', async () => {
    const env = cliEnv(ctx);
    const created = await runCli(
      ['token', 'create', '--principal', viewer, '--label', 'ci', '--expires-in-days', '30', '--as', admin, '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const { token, info } = created.json;
    expect(token).toMatch(/^wdn_tok_[0-9a-f]{12}_[0-9a-f]{48}$/);
    const stored = await ctx.pool.query('SELECT token_hash FROM api_tokens WHERE id = $1', [info.id]);
    expect(stored.rows[0].token_hash).not.toContain(token.slice(-48));
    expect((await call('GET', '/api/v1/me', token)).status).toBe(200);
    const list = await runCli(['token', 'list', '--principal', viewer, '--json'], env);
    expect(list.json.map((t: { id: string }) => t.id)).toContain(info.id);
    expect(JSON.stringify(list.json)).not.toContain(token);
    expect((await runCli(['token', 'revoke', info.id, '--as', admin, '--json'], env)).code).toBe(0);
    expect((await call('GET', '/api/v1/me', token)).status).toBe(401);
    expect((await runCli(['token', 'create', '--principal', 'nobody-here', '--as', admin], env)).code).toBe(1);
  });
});
