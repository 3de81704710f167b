import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server';
import { cliEnv, runCli } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';

const ctx = useIntegrationContext('cli');
let api: Server;
let apiUrl: string;

beforeAll(async () => {
  api = createApiServer(ctx);
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => api.close(() => r())));

describe('warden CLI', () => {
  it('status reports every component healthy with exit 0 while the stack is up', async () => {
    const r = await runCli(['status', '--json'], cliEnv(ctx, { WARDEN_API_URL: apiUrl }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.ok).toBe(true);
    expect(r.json.temporal.searchAttributes).toEqual(
      expect.arrayContaining(['WardenKind', 'WardenState', 'AgentId', 'AbpId', 'TriggerId', 'PolicyId', 'Severity']),
    );
    expect(r.json.worker.pollers).toBeGreaterThan(0);
    expect(r.json.database.schemaVersion).toBeGreaterThanOrEqual(1);
  });

  it('status exits 1 and names what is down', async () => {
    const r = await runCli(
      ['status', '--json'],
      cliEnv(ctx, { WARDEN_API_URL: apiUrl, TEMPORAL_TASK_QUEUE: 'nobody-polls-this' }),
    );
    expect(r.code).toBe(1);
    expect(r.json.ok).toBe(false);
    expect(r.json.worker).toMatchObject({ ok: false, detail: 'no worker is polling the task queue' });
    const db = await runCli(
      ['status'],
      cliEnv(ctx, { WARDEN_API_URL: apiUrl, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
    );
    expect(db.code).toBe(1);
    expect(db.stdout).toMatch(/DOWN database/);
  });

  it('adds principals with roles, lists them, and records the grant in provenance', async () => {
    const env = cliEnv(ctx);
    const admin = await testAdmin(ctx);
    const added = await runCli(
      ['principal', 'add', 'cli-alice', '--role', 'Reviewer', 'safety-lead', '--as', admin, '--json'],
      env,
    );
    expect(added.code).toBe(0);
    expect(added.json.principal).toEqual({ name: 'cli-alice', roles: ['Reviewer', 'safety-lead'] });
    const again = await runCli(['principal', 'add', 'cli-alice', '--role', 'Reviewer', '--as', admin, '--json'], env);
    expect(again.json).toMatchObject({ created: false, granted: [] });
    const list = await runCli(['principal', 'list', '--json'], env);
    expect(list.json).toEqual(expect.arrayContaining([{ name: 'cli-alice', roles: ['Reviewer', 'safety-lead'] }]));
    const log = await runCli(['provenance', 'list', '--subject', 'principal:cli-alice', '--json'], env);
    expect(log.json).toHaveLength(1);
    expect(log.json[0]).toMatchObject({
      kind: 'principal.granted',
      actor: admin,
      payload: { roles: ['Reviewer', 'safety-lead'], created: true },
    });
    const verify = await runCli(['provenance', 'verify', '--json'], env);
    expect(verify.code).toBe(0);
    expect(verify.json.ok).toBe(true);
  });

  it('refuses a bad principal name with exit 2 and the reason, writing nothing', async () => {
    const r = await runCli(
      ['principal', 'add', 'Bad Name!', '--role', 'Reviewer', '--as', await testAdmin(ctx)],
      cliEnv(ctx),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lower-case letters/);
    const { rowCount } = await ctx.pool.query("SELECT 1 FROM principals WHERE name = 'Bad Name!'");
    expect(rowCount).toBe(0);
  });

  it('exits 2 on usage errors and names a bad configuration variable', async () => {
    expect((await runCli(['no-such-command'], cliEnv(ctx))).code).toBe(2);
    expect((await runCli(['principal', 'add', 'x'], cliEnv(ctx))).code).toBe(2);
    const bad = await runCli(['principal', 'list'], cliEnv(ctx, { WARDEN_HTTP_PORT: 'eighty' }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/WARDEN_HTTP_PORT: expected a TCP port/);
  });

  it('the HTTP API answers health without a token and validates bodies with the field named', async () => {
    const health = await fetch(`${apiUrl}/healthz`);
    expect(health.status).toBe(200);
    const admin = await testAdmin(ctx);
    await runCli(['principal', 'add', 'cli-admin', '--role', 'admin', '--as', admin], cliEnv(ctx));
    const token = (await runCli(['token', 'create', '--principal', 'cli-admin', '--as', admin, '--json'], cliEnv(ctx)))
      .json.token as string;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const bad = await fetch(`${apiUrl}/api/v1/principals`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'bob' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ issues: [{ field: 'roles' }] });
    const missing = await fetch(`${apiUrl}/api/v1/nowhere`, { headers });
    expect(missing.status).toBe(404);
  });
});
