import { describe, expect, it } from 'vitest';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';

const ctx = useIntegrationContext('notifications-cli');

describe('warden webhook', () => {
  it('adds, lists, shows deliveries of and removes a webhook with --json and the documented exit codes', async () => {
    const env = cliEnv(ctx);
    const admin = await testAdmin(ctx);
    const added = await runCli(
      [
        'webhook',
        'add',
        'http://127.0.0.1:9/hooks',
        '--event',
        'review.opened',
        'proposal.expired',
        '--max-attempts',
        '2',
        '--as',
        admin,
        '--json',
      ],
      env,
    );
    expect(added.code).toBe(0);
    const id: string = added.json.webhook.id;
    expect(added.json).toMatchObject({
      webhook: { url: 'http://127.0.0.1:9/hooks', events: ['review.opened', 'proposal.expired'], maxAttempts: 2 },
      secretGenerated: true,
    });
    expect(added.json.secret).toMatch(/^whsec_[0-9a-f]{48}$/);

    const text = await runCli(['webhook', 'list'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(id);
    const listed = await runCli(['webhook', 'list', '--json'], env);
    const mine = listed.json.find((w: { id: string }) => w.id === id);
    expect(mine).toMatchObject({ events: ['review.opened', 'proposal.expired'] });
    expect(JSON.stringify(listed.json)).not.toContain(added.json.secret);

    // Other files share this database and may open reviews meanwhile, so the subscription can
    // already have deliveries: whatever is listed must be this webhook's.
    const deliveries = await runCli(['webhook', 'deliveries', '--webhook', id, '--json'], env);
    expect(deliveries.code).toBe(0);
    expect(Array.isArray(deliveries.json)).toBe(true);
    for (const d of deliveries.json) expect(d).toMatchObject({ subscriptionId: id, url: 'http://127.0.0.1:9/hooks' });

    const badEvent = await runCli(
      ['webhook', 'add', 'http://127.0.0.1:9/hooks', '--event', 'review.exploded', '--as', admin, '--json'],
      env,
    );
    expectRefused(badEvent, 2, /events/);
    const badFilter = await runCli(['webhook', 'deliveries', '--event', 'nope'], env);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toMatch(/event: one of/);

    const removed = await runCli(['webhook', 'remove', id, '--as', admin, '--json'], env);
    expect(removed).toMatchObject({ code: 0, json: { id } });
    const again = await runCli(['webhook', 'remove', id, '--as', admin], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not found/);
  });
});
