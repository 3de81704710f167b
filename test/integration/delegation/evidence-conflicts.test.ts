import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec, ingestEvidence } from '../../../client/delegation';
import { describeError } from '../../../client/errors';
import { listProvenance } from '../../../db/provenance/log';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { unique, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('evidence-conflicts');
const call = useApiServer(ctx);

const ndjson = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');
const run = (abpId: string, runId: string, score: number) => ({
  kind: 'coherence_run',
  run_id: runId,
  abp_id: abpId,
  score,
  observed_at: '2026-05-01T00:00:00Z',
});
const signal = (abpId: string, signalId: string, severity = 'red') => ({
  kind: 'drift_signal',
  signal_id: signalId,
  abp_id: abpId,
  type: 'bypass',
  severity,
  fingerprint: { key: 'fp', version: 1 },
  observed_at: '2026-05-01T00:00:00.5Z',
});
const claim = (abpId: string, claimId: string, statement: string) => ({
  kind: 'claim',
  claim_id: claimId,
  abp_id: abpId,
  statement,
  expires_at: '2027-01-01T00:00:00Z',
});

async function count(table: string, where: string, params: unknown[]): Promise<number> {
  return (await ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params))
    .rows[0]!.n;
}

async function newAbp(): Promise<string> {
  return (await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx))).abp.abp_id;
}

async function cliIngest(rows: object[]) {
  const file = join(ctx.config.dataDir, `${unique('evidence')}.ndjson`);
  await writeFile(file, ndjson(rows));
  return runCli(['drift', 'ingest', file, '--json'], cliEnv(ctx));
}

describe('evidence whose id is already stored', () => {
  it('refuses a batch whose row conflicts with a stored row of the same id (409 naming line and id): client, HTTP and CLI', async () => {
    const abpId = await newAbp();
    const [runId, signalId, claimId, fresh] = ['run', 'sig', 'claim', 'fresh'].map(
      (p) => `${p}-${randomBytes(4).toString('hex')}`,
    ) as [string, string, string, string];
    await ingestEvidence(
      ctx,
      ndjson([run(abpId, runId, 90), signal(abpId, signalId), claim(abpId, claimId, 'the contract is signed')]),
    );
    const entries = async () =>
      (await listProvenance(ctx.pool, { subject: `abp:${abpId}`, kind: 'evidence.ingested', limit: 100 })).length;
    const before = await entries();

    // Before, the stored row won silently and the batch reported success.
    const direct = describeError(
      await ingestEvidence(ctx, ndjson([signal(abpId, fresh), run(abpId, runId, 10)])).catch((e: unknown) => e),
    );
    expect(direct).toEqual({
      status: 409,
      message: `batch refused, nothing written: line 2: run_id ${runId} is already stored with different content`,
    });

    const http = await call(
      'POST',
      '/api/v1/evidence',
      ndjson([signal(abpId, fresh), signal(abpId, signalId, 'yellow'), claim(abpId, claimId, 'the contract lapsed')]),
      'application/x-ndjson',
    );
    expect(http.status).toBe(409);
    expect(http.body.error).toBe(
      `batch refused, nothing written: line 2: signal_id ${signalId} is already stored with different content; line 3: claim_id ${claimId} of ${abpId} is already stored with different content`,
    );

    const cli = await cliIngest([
      signal(abpId, fresh),
      { ...run(abpId, runId, 90), observed_at: '2026-05-01T00:00:01Z' },
    ]);
    expectRefused(cli, 1, new RegExp(`line 2: run_id ${runId} is already stored with different content`));

    // Nothing of a refused batch was written, and nothing recorded.
    expect(await count('drift_signals', 'signal_id = $1', [fresh])).toBe(0);
    expect((await ctx.pool.query('SELECT score FROM coherence_runs WHERE run_id = $1', [runId])).rows).toEqual([
      { score: 90 },
    ]);
    expect((await ctx.pool.query('SELECT severity FROM drift_signals WHERE signal_id = $1', [signalId])).rows).toEqual([
      { severity: 'red' },
    ]);
    expect((await ctx.pool.query('SELECT statement FROM claims WHERE claim_id = $1', [claimId])).rows).toEqual([
      { statement: 'the contract is signed' },
    ]);
    expect(await entries()).toBe(before);

    // Identical repeats stay harmless: skipped, and the rest of the batch is stored.
    const again = await call(
      'POST',
      '/api/v1/evidence',
      ndjson([
        run(abpId, runId, 90),
        signal(abpId, signalId),
        claim(abpId, claimId, 'the contract is signed'),
        signal(abpId, fresh),
      ]),
      'application/x-ndjson',
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      driftSignals: { received: 2, stored: 1 },
      coherenceRuns: { received: 1, stored: 0 },
      claims: { received: 1, stored: 0 },
    });
    const cliAgain = await cliIngest([run(abpId, runId, 90)]);
    expect(cliAgain.code, cliAgain.stderr).toBe(0);
    expect(cliAgain.json.coherenceRuns).toEqual({ received: 1, stored: 0 });
  });

  it('a signal id stored for another ABP conflicts too', async () => {
    const [first, second] = [await newAbp(), await newAbp()];
    const signalId = `sig-${randomBytes(4).toString('hex')}`;
    await ingestEvidence(ctx, ndjson([signal(first, signalId)]));
    const refused = await call('POST', '/api/v1/evidence', ndjson([signal(second, signalId)]), 'application/x-ndjson');
    expect(refused).toMatchObject({
      status: 409,
      body: { error: expect.stringMatching(new RegExp(`line 1: signal_id ${signalId} is already stored`)) },
    });
    expect(await count('drift_signals', 'abp_id = $1', [second])).toBe(0);
  });
});

describe('evidence date-times outside the years 0001..9999', () => {
  it('are a 400 naming line and field, never a database refusal: HTTP and CLI', async () => {
    const abpId = await newAbp();
    const row = { ...run(abpId, `run-${randomBytes(4).toString('hex')}`, 50), observed_at: '0000-01-01T00:00:00Z' };
    const http = await call('POST', '/api/v1/evidence', ndjson([row]), 'application/x-ndjson');
    expect(http.status).toBe(400);
    expect(http.body.error).toMatch(/line 1: observed_at: must be a date-time in the years 0001 to 9999/);
    const cli = await cliIngest([run(abpId, 'ok', 50), { ...row, observed_at: '0001-01-01T00:00:00+01:00' }]);
    expectRefused(cli, 2, /line 2: observed_at: must be a date-time in the years 0001 to 9999/);
    // Years 0001..0099 are years, not 1901..1999.
    const early = { ...run(abpId, `run-${randomBytes(4).toString('hex')}`, 50), observed_at: '0050-06-15T12:00:00Z' };
    expect((await call('POST', '/api/v1/evidence', ndjson([early]), 'application/x-ndjson')).status).toBe(200);
    const stored = await ctx.pool.query<{ y: string }>(
      `SELECT to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS y FROM coherence_runs WHERE run_id = $1`,
      [early.run_id],
    );
    expect(stored.rows).toEqual([{ y: '0050-06-15' }]);
  });
});
