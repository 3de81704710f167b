import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server';
import { createPool } from '../../../db/pool';
import { freePort } from '../../../toolchain/child-process';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { rawGet, rawRequest } from '../../support/raw-http';
import { buildUniqueAbp } from '../delegation/fixtures';
import { freshAgent, SEED_RULE } from '../endorsement/helpers';
import {
  calibrationArgs,
  reviewedRows,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
  SEED_POLICY,
} from '../guard/guard-fixtures';

const ctx = useIntegrationContext('hardening-boundary');
const call = useApiServer(ctx);

/** No database message and no stack may reach a client. */
function expectNoInternals(body: unknown): void {
  const text = JSON.stringify(body);
  for (const leak of [
    'UTF8',
    'byte sequence',
    'URI malformed',
    'Invalid URL',
    'TypeError',
    'bigint',
    'out of range for type',
    ' at ',
  ])
    expect(text).not.toContain(leak);
}

async function count(table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await ctx.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`,
    params,
  );
  return rows[0]!.n;
}

describe('the HTTP boundary (issue #10, findings 1 and 2)', () => {
  it('answers request lines that used to end the process, and keeps answering', async () => {
    // Finding 1: `curl --path-as-is …//` and an absolute target with port 99999 threw outside the try block.
    // `//` is a path (the dashboard's, with an empty segment): answered like `/`.
    const slashes = await rawRequest(call.port(), rawGet('//'));
    expect(slashes.status).toBe(200);
    const badPort = await rawRequest(call.port(), rawGet('http://x:99999/healthz'));
    expect(badPort.status).toBe(400);
    expect(badPort.text).toMatch(/malformed request target/);
    const star = await rawRequest(call.port(), rawGet('*'));
    expect(star.status).toBe(400);
    const escape = await call('GET', '/api/v1/abps/%E0%A4%A/history');
    expect(escape.status).toBe(400);
    expect(escape.body.issues).toEqual([{ field: ':id', message: 'malformed %-escape in the path' }]);
    expectNoInternals(escape.body);
    expect((await rawRequest(call.port(), rawGet('/healthz'))).status).toBe(200);
  });

  it('refuses NUL and lone surrogates with a 400 naming the field, never a database message', async () => {
    const agent = await freshAgent(ctx);
    const abp = await buildUniqueAbp(ctx);
    const cases: [string, string, unknown, string?][] = [
      ['POST', `/api/v1/agents/${agent}/chat`, { message: 'hello\u0000' }],
      [
        'POST',
        `/api/v1/abps/${abp.abp_id}/actions/check`,
        { abp_hash: abp.hash, objective: 'OBJ-001', tool: 'ats.read', agent_id: 'bot\u0000' },
      ],
      [
        'POST',
        '/api/v1/abps',
        {
          scope: { ...abp.scope, contract_id: `CTR-${uniqueSuffix()}`, modules: ['hiring\u0000'] },
          authority_ref: abp.authority_ref,
        },
      ],
      ['POST', '/api/v1/webhooks', { url: 'https://example.com/\u0000', events: ['review.opened'] }],
      ['POST', `/api/v1/agents/${agent}/endorsements`, { rule: 'allow harmful content generation \ud800' }],
      ['POST', `/api/v1/agents/${agent}/endorsements`, { rule: SEED_RULE, value: 'strict\u0000' }],
      ['POST', `/api/v1/agents/${agent}/endorsements`, { rule: 'allow harmful content generation\u0000' }],
      ['POST', `/api/v1/agents/${agent}/endorsements`, { rule: SEED_RULE, value: 'strict \udc00' }],
    ];
    for (const [method, path, body] of cases) {
      const r = await call(method, path, body);
      expect(r.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(400);
      expect(r.body.issues?.[0]?.field ?? r.body.error).toBeTruthy();
      expectNoInternals(r.body);
    }
    // NDJSON batches name the line and the field.
    const feedback = toNdjson(
      reviewedRows(`t-${uniqueSuffix()}`, 1, { marker: 'nul' }).map((r) => ({ ...r, prompt: 'a\u0000b' })),
    );
    const fed = await call('POST', '/api/v1/guard/feedback', feedback, 'application/x-ndjson');
    expect(fed.status).toBe(400);
    expect(fed.body.error).toMatch(/line 1: prompt: must not contain a NUL/);
    const evidence = JSON.stringify({
      kind: 'drift_signal',
      abp_id: abp.abp_id,
      type: 'bypass',
      severity: 'red',
      fingerprint: { key: 'k', version: 1 },
      observed_at: '2026-05-01T00:00:00Z',
      summary: 'x\u0000',
    });
    const ingested = await call('POST', '/api/v1/evidence', evidence, 'application/x-ndjson');
    expect(ingested.status).toBe(400);
    expect(ingested.body.error).toMatch(/line 1: summary: must not contain a NUL/);
    const query = await call('GET', '/api/v1/provenance?subject=a%00b');
    expect(query).toMatchObject({ status: 400, body: { issues: [{ field: '?subject' }] } });
    // Nothing was started for the agent: the refused endorsements never reached a workflow.
    expect(await count('endorsements', 'agent_id = $1', [agent])).toBe(0);
  });

  it('refuses values beyond what storage and timers accept, before any workflow starts', async () => {
    const agent = await freshAgent(ctx);
    // 1–3 MB values used to start a workflow that then failed (409/500).
    for (const megabytes of [1, 2, 3]) {
      const huge = await call('POST', `/api/v1/agents/${agent}/endorsements`, {
        rule: SEED_RULE,
        value: 'v'.repeat(megabytes * 1024 * 1024),
      });
      expect(huge.status, `${megabytes} MB`).toBe(400);
      expect(huge.body.issues).toContainEqual(expect.objectContaining({ field: 'value' }));
    }
    const settings = await call('POST', `/api/v1/agents/${agent}/endorsements`, {
      rule: SEED_RULE,
      settings: { decisionTimeoutSeconds: 1e15 },
    });
    expect(settings.status).toBe(400);
    expect(settings.body.issues).toContainEqual(expect.objectContaining({ field: 'settings.decisionTimeoutSeconds' }));
    const unknownSetting = await call('POST', '/api/v1/agents', {
      id: `bot-${uniqueSuffix()}`,
      settings: { cooldownBase: 1 },
    });
    expect(unknownSetting.status).toBe(400);
    expect(await count('endorsements', 'agent_id = $1', [agent])).toBe(0);

    const suffix = uniqueSuffix();
    const people = await seedPeopleAndPolicy(ctx, suffix);
    const tenant = `t-${suffix}`;
    expect(
      (
        await call(
          'POST',
          '/api/v1/guard/feedback',
          toNdjson(reviewedRows(tenant, 40, { marker: suffix })),
          'application/x-ndjson',
        )
      ).status,
    ).toBe(201);
    // Only this test's source: other files write proposals into the same database while this one runs.
    const ours = () => count('guard_proposals', 'source_ref = $1', [`feedback://t?tenant=${tenant}`]);
    const proposal = await call('POST', '/api/v1/guard/proposals/calibration', {
      policy_id: SEED_POLICY.policy_id,
      source_ref: `feedback://t?tenant=${tenant}`,
      as: people.proposer,
      approval_timeout: '999999999999d',
      current_threshold: 0.55,
      candidate_threshold: 0.58,
      confidence_low: 0.51,
      confidence_high: 0.61,
      rollback_id: `rb-${suffix}`,
    });
    expect(proposal.status).toBe(400);
    expect(proposal.body.issues).toEqual([{ field: 'approval_timeout', message: 'must be at most 100 years' }]);
    expect(await ours()).toBe(0);
    // The same from the CLI, as the finding was first met (a bigint overflow in guardRecordDecision, retried for ever).
    const fromCli = await runCli(
      [
        ...calibrationArgs(`feedback://t?tenant=${tenant}`, `rb-cli-${suffix}`),
        '--approval-timeout',
        '999999999999d',
        '--as',
        people.proposer,
        '--json',
      ],
      cliEnv(ctx),
    );
    expectRefused(fromCli, 2, 'approval_timeout: must be at most 100 years');
    expect(await ours()).toBe(0);
  });

  it('answers webhook and listing mistakes with 400 naming the field', async () => {
    const notUrl = await call('POST', '/api/v1/webhooks', { url: 'not a url', events: ['review.opened'] });
    expect(notUrl.status).toBe(400);
    expect(notUrl.body.issues).toEqual([{ field: 'url', message: 'url: an http:// or https:// URL' }]);
    const hookUrl = `https://example.com/hook-${uniqueSuffix()}`;
    const unknownKey = await call('POST', '/api/v1/webhooks', {
      url: hookUrl,
      events: ['review.opened'],
      max_attempts: 3,
    });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.issues[0].message).toMatch(/max_attempts/);
    expect(await count('webhook_subscriptions', 'url = $1', [hookUrl])).toBe(0);
    const negative = await call('GET', '/api/v1/provenance?limit=-5');
    expect(negative).toMatchObject({ status: 400, body: { issues: [{ field: 'limit', message: 'at least 1' }] } });
    const cli = await runCli(['provenance', 'list', '--limit', '-5', '--json'], cliEnv(ctx));
    expectRefused(cli, 2, 'limit: at least 1');
  });

  it('answers 503 while the database is unreachable, and the process keeps serving', async () => {
    const dead = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, 1);
    const server = createApiServer({ ...ctx, pool: dead });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const token = await call.token();
      const me = await fetch(`http://127.0.0.1:${port}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(503);
      expect(me.headers.get('retry-after')).toBe('5');
      expectNoInternals(await me.json());
      expect((await fetch(`http://127.0.0.1:${port}/openapi.json`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await dead.end();
    }
  });
});

describe('strict intake (issue #10, finding 14)', () => {
  it('refuses a batch with a conflicting duplicate run_id, and rows for an ABP nobody built', async () => {
    const abp = await buildUniqueAbp(ctx);
    const runId = `run-${randomBytes(4).toString('hex')}`;
    const run = (score: number, abpId = abp.abp_id) =>
      JSON.stringify({
        kind: 'coherence_run',
        run_id: runId,
        abp_id: abpId,
        score,
        observed_at: '2026-05-01T00:00:00Z',
      });
    const conflicting = await call('POST', '/api/v1/evidence', [run(90), run(10)].join('\n'), 'application/x-ndjson');
    expect(conflicting.status).toBe(400);
    expect(conflicting.body.error).toMatch(/line 2: run_id .* repeats line 1 with different content/);
    const ghost = `ABP-${randomBytes(4).toString('hex')}`;
    const unknown = await call(
      'POST',
      '/api/v1/evidence',
      [
        run(90),
        JSON.stringify({ kind: 'claim', claim_id: 'c1', abp_id: ghost, expires_at: '2027-01-01T00:00:00Z' }),
      ].join('\n'),
      'application/x-ndjson',
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(new RegExp(`line 2: abp_id: no ABP ${ghost} has been built`));
    expect(await count('coherence_runs', 'run_id = $1', [runId])).toBe(0);
    expect(await count('claims', 'abp_id = $1', [ghost])).toBe(0);
    // Identical repeats are one row: stored once, the batch accepted.
    const repeated = await call('POST', '/api/v1/evidence', [run(90), run(90)].join('\n'), 'application/x-ndjson');
    expect(repeated.status).toBe(200);
    expect(repeated.body.coherenceRuns).toEqual({ received: 1, stored: 1 });
  });

  it('holds at most 32 roles per principal', async () => {
    const name = `many-${uniqueSuffix()}`;
    const roles = Array.from({ length: 33 }, (_, i) => `role-${i}`);
    const flood = await call('POST', '/api/v1/principals', { name, roles });
    expect(flood.status).toBe(400);
    expect(flood.body.issues).toEqual([{ field: 'roles', message: 'at most 32 roles' }]);
    expect((await call('POST', '/api/v1/principals', { name, roles: roles.slice(0, 32) })).status).toBe(201);
    const one = await call('POST', '/api/v1/principals', { name, roles: ['one-more'] });
    expect(one.status).toBe(400);
    expect(one.body.error).toMatch(/would hold 33 roles; at most 32/);
    const longRole = await call('POST', '/api/v1/principals', {
      name: `long-${uniqueSuffix()}`,
      roles: ['r'.repeat(65)],
    });
    expect(longRole.status).toBe(400);
  });
});
