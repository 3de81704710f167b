import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';
import { sendExternalEmail, unique, uniqueSpec } from './fixtures';
import { testAdmin } from '../../support/principals';

const ctx = useIntegrationContext('delegation-cli');
const DAY_MS = 86_400_000;

describe('the delegation loop from the CLI', () => {
  it('runs the commands of the issue with --json and the documented exit codes', async () => {
    const env = cliEnv(ctx);
    const dir = ctx.config.dataDir;
    const bob = unique('bob');
    const admin = await testAdmin(ctx);
    expect((await runCli(['principal', 'add', bob, '--role', 'Reviewer', '--as', admin], env)).code).toBe(0);

    await writeFile(join(dir, 'abp.yaml'), stringify(uniqueSpec()));
    const built = await runCli(['abp', 'build', join(dir, 'abp.yaml'), '--as', admin, '--json'], env);
    expect(built.code, built.stderr + built.stdout).toBe(0);
    const abpId: string = built.json.abp.abp_id;
    const hash: string = built.json.abp.hash;
    expect(built.json).toMatchObject({ created: true, madeCurrent: true });
    const [shown, verified] = await Promise.all([
      runCli(['abp', 'show', abpId, '--json'], env),
      runCli(['abp', 'verify', abpId], env),
    ]);
    expect(shown.json).toMatchObject({ abpId, status: 'active' });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^VALID/);

    await writeFile(join(dir, 'action.json'), JSON.stringify(sendExternalEmail(hash, 1)));
    const blocked = await runCli(['action', 'check', abpId, '--action', join(dir, 'action.json'), '--json'], env);
    expect(blocked.code).toBe(1);
    expect(blocked.json).toMatchObject({ decision: 'blocked', allowed: false });

    const claims = [1, 2, 3, 4, 5].map((n) =>
      JSON.stringify({ claim_id: `c${n}`, abp_id: abpId, expires_at: new Date(Date.now() - n * DAY_MS).toISOString() }),
    );
    await writeFile(join(dir, 'claims.ndjson'), claims.join('\n'));
    const ingested = await runCli(['drift', 'ingest', join(dir, 'claims.ndjson'), '--kind', 'claim', '--json'], env);
    expect(ingested.code, ingested.stderr + ingested.stdout).toBe(0);
    expect(ingested.json).toMatchObject({
      claims: { received: 5, stored: 5 },
      evaluation: { queued: [`${abpId}.DRT-004.r1`] },
    });

    await writeFile(
      join(dir, 'bad.ndjson'),
      `${claims[0]}\n{"kind":"drift_signal","abp_id":"${abpId}","type":"gravity"}\n`,
    );
    const bad = await runCli(['drift', 'ingest', join(dir, 'bad.ndjson'), '--json'], env);
    expectRefused(bad, 2, /line 1: kind: required.*line 2: type:/s);

    const [triggers, triggersText, queued] = await Promise.all([
      runCli(['triggers', abpId, '--json'], env),
      runCli(['triggers', abpId], env),
      runCli(['reviews', '--state', 'queued', '--abp', abpId, '--json'], env),
    ]);
    expect(triggers.json.find((c: { triggerId: string }) => c.triggerId === 'DRT-004')).toMatchObject({
      state: 'tripped',
      activeReview: { state: 'queued' },
    });
    expect(triggersText.stdout).toMatch(/DRT-004 assumption_expiry_breach\s+tripped/);
    expect(queued.json).toMatchObject([{ reviewId: `${abpId}.DRT-004.r1`, state: 'queued' }]);

    const opened = await runCli(['review', 'open', abpId, 'DRT-004', '--as', bob, '--json'], env);
    expect(opened.code, opened.stderr + opened.stdout).toBe(0);
    const reviewId: string = opened.json.reviewId;
    expect(
      (await runCli(['reviews', '--state', 'open', '--json'], env)).json.map((r: { reviewId: string }) => r.reviewId),
    ).toContain(reviewId);
    // Opened dormant: `review show` gives the deadline from the row and says when its workflow starts.
    const dormant = await runCli(['review', 'show', reviewId], env);
    expect(dormant.code, dormant.stderr).toBe(0);
    expect(dormant.stdout).toMatch(/\b0\/\d+ approvals by \S+; deadline \d{4}-\d\d-\d\dT/);
    expect(dormant.stdout).toMatch(/no workflow yet: it starts on the first vote, or shortly before its deadline/);

    const patch = {
      tools: {
        allow: [...uniqueSpec().tools!.allow, { name: 'email.send_external', scope: 'hiring' }],
        deny: uniqueSpec().tools!.deny.filter((t) => t.name !== 'email.send_external'),
      },
    };
    await writeFile(join(dir, 'patch.json'), JSON.stringify(patch));
    const approved = await runCli(
      [
        'review',
        'approve',
        reviewId,
        '--as',
        bob,
        '--output',
        join(dir, 'patch.json'),
        '--reason',
        'claims were renewed',
        '--json',
      ],
      env,
    );
    expect(approved.code, approved.stderr + approved.stdout).toBe(0);
    expect(approved.json).toMatchObject({ accepted: true, decided: true });
    const final = await ctx.temporal.workflow.getHandle(reviewId).result();
    expect(final).toMatchObject({ state: 'applied' });
    const newHash: string = (final as { outcome: { next: { abpHash: string } } }).outcome.next.abpHash;

    await writeFile(join(dir, 'action2.json'), JSON.stringify(sendExternalEmail(newHash, 2)));
    const allowed = await runCli(['action', 'check', abpId, '--action', join(dir, 'action2.json')], env);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^ALLOWED/);

    const second = await runCli(['review', 'open', abpId, 'DRT-001', '--as', bob, '--json'], env);
    const dismissed = await runCli(
      ['review', 'dismiss', second.json.reviewId, '--as', bob, '--reason', 'noise', '--json'],
      env,
    );
    expect(dismissed.code, dismissed.stderr + dismissed.stdout).toBe(0);
    const again = await runCli(['review', 'dismiss', second.json.reviewId, '--as', bob, '--reason', 'noise'], env);
    expect(again.code).toBe(1);

    const third = await runCli(['review', 'open', abpId, 'DRT-003', '--as', bob, '--json'], env);
    const revoked = await runCli(
      [
        'review',
        'approve',
        third.json.reviewId,
        '--as',
        bob,
        '--output',
        'revoke',
        '--reason',
        'program closed',
        '--json',
      ],
      env,
    );
    expect(revoked.code, revoked.stderr + revoked.stdout).toBe(0);
    await ctx.temporal.workflow.getHandle(third.json.reviewId).result();
    const afterRevoke = await runCli(['abp', 'verify', abpId, '--json'], env);
    expect(afterRevoke.code).toBe(1);
    expect(afterRevoke.json).toMatchObject({ ok: false, status: 'revoked' });

    await writeFile(
      join(dir, 'bad.yaml'),
      stringify({
        ...uniqueSpec(),
        tools: { allow: [{ name: 'x', scope: null }], deny: [{ name: 'x', reason: 'y' }] },
      }),
    );
    const refused = await runCli(['abp', 'build', join(dir, 'bad.yaml'), '--as', admin, '--json'], env);
    expectRefused(refused, 2, /tools both allowed and denied: x/);
  }, 300_000);
});
