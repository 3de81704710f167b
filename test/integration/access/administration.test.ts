import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { describeError } from '../../../client/errors';
import { createPolicy } from '../../../client/guard';
import { addWebhook, removeWebhook } from '../../../client/notifications';
import { createToken, grantPrincipal, revokeToken } from '../../../client/access';
import { findPrincipal } from '../../../db/access/principals';
import { listProvenance } from '../../../db/provenance/log';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin, testPrincipal } from '../../support/principals';
import { unique, uniqueSpec } from '../delegation/fixtures';
import { policyCreateArgs } from '../guard/guard-fixtures';

const ctx = useIntegrationContext('administration');
const call = useApiServer(ctx);

const failure = async (work: Promise<unknown>) =>
  describeError(
    await work.then(
      () => new Error('accepted'),
      (e: unknown) => e,
    ),
  );
const policy = (id: string) => ({
  policy_id: id,
  risk_envelope: {
    action_category: 'training',
    reversibility: 'costly',
    domain: 'regulated',
    calibrated_threshold: 0.45,
    no_go_threshold: 0.8,
  },
  approver_role: 'safety-lead',
});
const count = async (sql: string, params: unknown[]) => (await ctx.pool.query(sql, params)).rowCount;

describe('every administrative change needs the admin role where CLI, HTTP and client meet (the local CLI too)', () => {
  it('abp build and policy create: refused without admin on the CLI (as over HTTP), the admin recorded as actor', async () => {
    const [rita, admin] = [await testPrincipal(ctx, 'rita', ['Reviewer', 'safety-lead']), await testAdmin(ctx)];
    const env = cliEnv(ctx, { WARDEN_PRINCIPAL: '' });
    const spec = uniqueSpec();
    const specFile = join(ctx.config.dataDir, `${unique('spec')}.json`);
    await writeFile(specFile, JSON.stringify(spec));
    const policyId = `policy.${unique('admin')}`;
    const policyArgs = policyCreateArgs(policyId);

    // Before, both went through for anyone at the local CLI, with or without --as.
    for (const args of [['abp', 'build', specFile], policyArgs]) {
      const byRita = await runCli([...args, '--as', rita, '--json'], env);
      expectRefused(
        byRita,
        1,
        new RegExp(`${rita} may not (build ABPs|create guard policies): that needs the role admin`),
      );
      const byNobody = await runCli([...args, '--json'], env);
      expectRefused(byNobody, 2, /^as: .*needs an administrator/);
    }
    expect(await count(`SELECT 1 FROM abp_current WHERE scope_key LIKE $1`, [`%${spec.scope.contract_id}%`])).toBe(0);
    expect(await count('SELECT 1 FROM guard_policies WHERE policy_id = $1', [policyId])).toBe(0);
    expect((await call('POST', '/api/v1/abps', { ...spec, as: rita })).status).toBe(403);
    expect((await call('POST', '/api/v1/guard/policies', { ...policy(policyId), as: rita })).status).toBe(403);
    expect(await failure(buildAbpFromSpec(ctx, spec, rita))).toMatchObject({ status: 403 });
    expect(await failure(createPolicy(ctx, policy(policyId), rita))).toMatchObject({ status: 403 });

    const built = await runCli(['abp', 'build', specFile, '--as', admin, '--json'], env);
    expect(built.code, built.stderr).toBe(0);
    const [entry] = await listProvenance(ctx.pool, { subject: `abp:${built.json.abp.abp_id}`, kind: 'abp.built' });
    expect(entry!.actor).toBe(admin);
    const created = await runCli([...policyArgs, '--as', admin, '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const [policyEntry] = await listProvenance(ctx.pool, {
      subject: `policy:${policyId}`,
      kind: 'guard.policy.created',
    });
    expect(policyEntry!.actor).toBe(admin);
  });

  it('webhooks, principals and tokens: refused for a non-admin on the client and the CLI once an admin exists; actor recorded', async () => {
    const [rita, admin] = [await testPrincipal(ctx, 'rita', ['Reviewer']), await testAdmin(ctx)];
    const env = cliEnv(ctx, { WARDEN_PRINCIPAL: '' });
    const forbidden = { status: 403, message: expect.stringMatching(/needs the role admin/) };
    const hook = { url: 'http://127.0.0.1:9/hooks', events: ['review.opened'] };

    expect(await failure(addWebhook(ctx, hook, rita))).toMatchObject(forbidden);
    expect(await failure(addWebhook(ctx, hook, null))).toMatchObject({ status: 400 });
    const added = await addWebhook(ctx, hook, admin);
    expect(await failure(removeWebhook(ctx, added.webhook.id, rita))).toMatchObject(forbidden);
    const cliRemove = await runCli(['webhook', 'remove', added.webhook.id, '--as', rita, '--json'], env);
    expect(cliRemove.code).toBe(1);
    await removeWebhook(ctx, added.webhook.id, admin);
    expect(
      (await listProvenance(ctx.pool, { subject: `webhook:${added.webhook.id}`, limit: 10 })).map((e) => [
        e.kind,
        e.actor,
      ]),
    ).toEqual([
      ['webhook.removed', admin],
      ['webhook.added', admin],
    ]);

    const newcomer = unique('newcomer');
    expect(await failure(grantPrincipal(ctx, newcomer, ['admin'], rita))).toMatchObject(forbidden);
    expect(await failure(grantPrincipal(ctx, newcomer, ['admin'], null))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^as: /),
    });
    const cliGrant = await runCli(['principal', 'add', newcomer, '--role', 'admin', '--as', rita, '--json'], env);
    expect(cliGrant.code).toBe(1);
    expect((await runCli(['principal', 'add', newcomer, '--role', 'admin', '--json'], env)).code).toBe(2);
    expect(await findPrincipal(ctx.pool, newcomer)).toBeUndefined();
    await grantPrincipal(ctx, newcomer, ['Reviewer'], admin);
    expect((await listProvenance(ctx.pool, { subject: `principal:${newcomer}` }))[0]).toMatchObject({
      kind: 'principal.granted',
      actor: admin,
    });

    expect(await failure(createToken(ctx, { principal: rita }, rita))).toMatchObject(forbidden);
    const cliToken = await runCli(['token', 'create', '--principal', rita, '--as', rita, '--json'], env);
    expect(cliToken.code).toBe(1);
    expect(await count('SELECT 1 FROM api_tokens WHERE principal = $1', [rita])).toBe(0);
    const token = await createToken(ctx, { principal: rita }, admin);
    expect(await failure(revokeToken(ctx, token.info.id, rita))).toMatchObject(forbidden);
    expect((await runCli(['token', 'revoke', token.info.id, '--as', rita, '--json'], env)).code).toBe(1);
    await revokeToken(ctx, token.info.id, admin);
    const tokenEntries = await listProvenance(ctx.pool, { subject: `token:${token.info.id}` });
    expect(tokenEntries.map((e) => [e.kind, e.actor])).toEqual([
      ['token.revoked', admin],
      ['token.created', admin],
    ]);
    expect(JSON.stringify(tokenEntries)).not.toContain(token.token);
  });

  it('over HTTP the admin token is the recorded actor of grants and tokens', async () => {
    const name = unique('granted');
    expect((await call('POST', '/api/v1/principals', { name, roles: ['Reviewer'] })).status).toBe(201);
    const [grant] = await listProvenance(ctx.pool, { subject: `principal:${name}` });
    expect(grant!.actor).toMatch(/^http-operator-/);
    const token = await call('POST', '/api/v1/tokens', { principal: name });
    expect(token.status).toBe(201);
    const [created] = await listProvenance(ctx.pool, { subject: `token:${token.body.info.id}` });
    expect(created!.actor).toBe(grant!.actor);
  });
});
