import { describe, expect, it } from 'vitest';
import type { Abp } from '../../../domain/delegation/schema';
import { useIntegrationContext } from '../../support/integration';
import { reaches, sendUntil, withAgentApi } from './api-process';
import { buildUniqueAbp, unique } from './fixtures';

const ctx = useIntegrationContext('delegation-intake-durability');

const observedAt = new Date(Date.now() - 60_000).toISOString();

/** The rows of request `key`: two drift signals and a coherence run, stored together or not at all. */
const rowsOf = (abp: Abp, key: string) =>
  [
    ...['a', 'b'].map((s) => ({
      kind: 'drift_signal',
      signal_id: `${key}-${s}`,
      abp_id: abp.abp_id,
      type: 'freshness',
      severity: 'green',
      fingerprint: { key: `fp-${key}`, version: 1 },
      observed_at: observedAt,
    })),
    { kind: 'coherence_run', run_id: `${key}-r`, abp_id: abp.abp_id, score: 0.9, observed_at: observedAt },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n');

/** Clients writing evidence (three rows a request) until `stop`; keys of the requests answered 2xx and of all sent. */
async function ingestUntil(port: number, token: string, abp: Abp, stop: Promise<unknown>) {
  const prefix = unique('durable');
  const sent: string[] = [];
  const result = await sendUntil(stop, async (n) => {
    const key = `${prefix}-${n}`;
    sent.push(key);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/evidence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: rowsOf(abp, key),
    });
    const body = (await res.json()) as { driftSignals?: { stored: number }; coherenceRuns?: { stored: number } };
    return res.status === 200 && body.driftSignals?.stored === 2 && body.coherenceRuns?.stored === 1 ? key : null;
  });
  return { ...result, sent };
}

/** Requests with rows stored for this ABP (the signals count twice, the run once: three per whole request). */
const storedRows = async (abp: Abp) =>
  (
    await ctx.pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM drift_signals WHERE abp_id = $1)::int
            + (SELECT count(*) FROM coherence_runs WHERE abp_id = $1)::int AS n`,
      [abp.abp_id],
    )
  ).rows[0]!.n;

/** Per request key sent: how many of its three rows are stored. */
async function rowsStored(keys: string[]): Promise<Map<string, number>> {
  const { rows } = await ctx.pool.query<{ key: string; n: number }>(
    `SELECT k.key, ((SELECT count(*) FROM drift_signals s WHERE s.signal_id IN (k.key || '-a', k.key || '-b'))
                  + (SELECT count(*) FROM coherence_runs r WHERE r.run_id = k.key || '-r'))::int AS n
       FROM unnest($1::text[]) AS k(key)`,
    [keys],
  );
  return new Map(rows.map((r) => [r.key, r.n]));
}

/** Every answered request is stored whole, none is stored in part, and each stored one has its provenance entry. */
async function expectNothingLost(abp: Abp, answered: string[], sent: string[]) {
  expect(answered.length).toBeGreaterThan(0);
  const stored = await rowsStored(sent);
  expect(answered.filter((key) => stored.get(key) !== 3)).toEqual([]);
  expect(sent.filter((key) => ![0, 3].includes(stored.get(key)!))).toEqual([]);
  const whole = sent.filter((key) => stored.get(key) === 3).length;
  const entries = await ctx.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM provenance_log WHERE kind = 'evidence.ingested' AND subject = $1`,
    [`abp:${abp.abp_id}`],
  );
  expect(entries.rows[0]!.n).toBe(whole);
}

describe("drift intake's group commit when the API process goes away", () => {
  it('SIGKILL: every write answered is stored whole, and no write is stored in part', async () => {
    const abp = await buildUniqueAbp(ctx);
    await withAgentApi(ctx, 'kill', async (api, token) => {
      // Killed while writes are in flight: once 150 requests' rows are stored, eight clients still sending.
      const killed = reaches(() => storedRows(abp), 3 * 150).then(() => api.child.kill('SIGKILL'));
      const { answered, failed, sent } = await ingestUntil(api.port, token, abp, api.exited);
      await killed;
      expect(failed).toBeGreaterThan(0);
      await expectNothingLost(abp, answered, sent);
    });
  });

  it('SIGTERM: the group commit drains, every write answered is stored whole and the process exits cleanly', async () => {
    const abp = await buildUniqueAbp(ctx);
    await withAgentApi(ctx, 'term', async (api, token) => {
      const termed = reaches(() => storedRows(abp), 3 * 100).then(() => api.child.kill('SIGTERM'));
      const { answered, sent } = await ingestUntil(api.port, token, abp, api.exited);
      await termed;
      expect(await api.exited).toBe(0);
      expect(api.output()).toContain('drained');
      await expectNothingLost(abp, answered, sent);
    });
  });
});
