import { describe, expect, it } from 'vitest';
import { describeError } from '../../../client/errors';
import { createToken, grantPrincipal, revokeToken } from '../../../client/access';
import { listProvenance } from '../../../db/provenance/log';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';

// A database of its own: the bootstrap rule depends on no principal holding admin yet.
const ctx = useIntegrationContext('bootstrap', { ownDatabase: true });

describe('bootstrapping a fresh installation from the local CLI', () => {
  it('adds principals and creates tokens without --as only while no admin exists, then needs an admin', async () => {
    const env = cliEnv(ctx, { WARDEN_PRINCIPAL: '' });
    expect((await runCli(['principal', 'add', 'erin', '--role', 'Reviewer', '--json'], env)).code).toBe(0);
    const erinsToken = await runCli(['token', 'create', '--principal', 'erin', '--json'], env);
    expect(erinsToken.code, erinsToken.stderr).toBe(0);
    expect((await listProvenance(ctx.pool, { subject: `token:${erinsToken.json.info.id}` }))[0]).toMatchObject({
      kind: 'token.created',
      actor: null,
    });
    // The first admin, as the README's tour makes it.
    const first = await runCli(['principal', 'add', 'alice', '--role', 'operator', 'admin', '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect((await listProvenance(ctx.pool, { subject: 'principal:alice' }))[0]).toMatchObject({
      kind: 'principal.granted',
      actor: null,
    });

    // From now on the local CLI names an admin like everyone else.
    const second = await runCli(['principal', 'add', 'mallory', '--role', 'admin', '--json'], env);
    expectRefused(second, 2, /^as: .*needs an administrator/);
    const token = await runCli(['token', 'create', '--principal', 'alice', '--json'], env);
    expect(token.code).toBe(2);
    const ok = await runCli(['principal', 'add', 'bob', '--role', 'Reviewer', '--as', 'alice', '--json'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await runCli(['principal', 'add', 'mallory', '--role', 'admin', '--as', 'bob', '--json'], env)).code).toBe(
      1,
    );
    expect((await listProvenance(ctx.pool, { subject: 'principal:bob' }))[0]).toMatchObject({ actor: 'alice' });
    const made = await createToken(ctx, { principal: 'bob' }, 'alice');
    expect(describeError(await revokeToken(ctx, made.info.id, null).catch((e: unknown) => e)).status).toBe(400);
    expect(describeError(await grantPrincipal(ctx, 'mallory', ['admin'], 'bob').catch((e: unknown) => e)).status).toBe(
      403,
    );
    const { rows } = await ctx.pool.query('SELECT name FROM principals ORDER BY name');
    expect(rows.map((r) => r.name)).not.toContain('mallory');
  });
});
