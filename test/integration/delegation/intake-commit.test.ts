import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createApiServer } from '../../../api/server';
import { ingestEvidence } from '../../../client/delegation';
import { createApiToken, revokeApiToken } from '../../../db/access/api-tokens';
import { addPrincipal } from '../../../db/access/principals';
import { IntakeCommit } from '../../../client/intake-commit';
import { storeIntakeAtHead, storeIntakeBatches } from '../../../db/delegation/intake';
import { createPool } from '../../../db/pool';
import { appendProvenance, verifyProvenanceChain } from '../../../db/provenance/log';
import { parseIntakeBatch } from '../../../domain/delegation/intake';
import { useIntegrationContext } from '../../support/integration';
import { keptGenericPlan } from './kept-plan';
import { buildUniqueAbp, unique } from './fixtures';

const ctx = useIntegrationContext('delegation-intake-commit');

const observedAt = new Date(Date.now() - 60_000).toISOString();
const signal = (abpId: string, id: string, severity = 'green') =>
  JSON.stringify({
    kind: 'drift_signal',
    signal_id: id,
    abp_id: abpId,
    type: 'freshness',
    severity,
    fingerprint: { key: `fp-${id}`, version: 1 },
    observed_at: observedAt,
  });

const storedSignals = async (ids: string[]) =>
  (
    await ctx.pool.query<{ signal_id: string; severity: string }>(
      'SELECT signal_id, severity FROM drift_signals WHERE signal_id = ANY($1) ORDER BY signal_id',
      [ids],
    )
  ).rows;

/**
 * The pool, wrapped so that every statement sent on it is counted: on the clients it lends
 * (transactions, and the one-message flush on a connection) and by its own query. A prepared
 * flush's PREPARE (once per connection) is not counted: `last` names what the flush sent.
 */
function countingPool() {
  const sent: string[] = [];
  const recording = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, name) {
        const value: unknown = Reflect.get(t, name, t);
        if (typeof value !== 'function') return value;
        if (name !== 'query') return (value as (...a: unknown[]) => unknown).bind(t);
        return (...args: unknown[]) => {
          const q = args[0];
          const text = typeof q === 'string' ? q : String((q as { text?: unknown }).text);
          if (!text.startsWith('PREPARE ')) sent.push(text);
          return (value as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  // One wrapper per connection, as the pool hands out one object per connection (a statement
  // prepared on it is remembered by that object).
  const wrapped = new WeakMap<pg.PoolClient, pg.PoolClient>();
  const counting = new Proxy(ctx.pool, {
    get(pool, name) {
      if (name === 'query') return recording(pool).query;
      if (name !== 'connect') return Reflect.get(pool, name, pool) as unknown;
      return async () => {
        const client = await pool.connect();
        if (!wrapped.has(client)) wrapped.set(client, recording(client));
        return wrapped.get(client)!;
      };
    },
  });
  return { counting, counted: () => sent.length, last: () => sent.at(-1) };
}

describe("drift intake's group commit", () => {
  it('concurrent one-row writes share transactions, each answered with its own rows and a provenance entry of its own', async () => {
    const abp = await buildUniqueAbp(ctx);
    const ids = Array.from({ length: 30 }, (_, n) => unique(`gc-${n}`));
    const answers = await Promise.all(ids.map((id) => ingestEvidence(ctx, signal(abp.abp_id, id), { actor: null })));
    for (const a of answers) {
      expect(a.driftSignals).toEqual({ received: 1, stored: 1 });
      expect(a.abpIds).toEqual([abp.abp_id]);
    }
    expect((await storedSignals(ids)).map((r) => r.signal_id)).toEqual([...ids].sort());
    const entries = await ctx.pool.query<{ n: number; at: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT recorded_at)::int AS at FROM provenance_log
        WHERE kind = 'evidence.ingested' AND subject = $1`,
      [`abp:${abp.abp_id}`],
    );
    expect(entries.rows[0]!.n).toBe(30);
    // Fewer transactions than writes: the burst was stored together.
    expect(entries.rows[0]!.at).toBeLessThan(30);
  });

  it('a refused write in a burst is refused alone: the others are stored, and a harmless repeat counts as not stored', async () => {
    const abp = await buildUniqueAbp(ctx);
    const first = unique('gc-first');
    await ingestEvidence(ctx, signal(abp.abp_id, first), { actor: null });
    const fine = Array.from({ length: 6 }, (_, n) => unique(`gc-fine-${n}`));
    const results = await Promise.allSettled([
      ...fine.map((id) => ingestEvidence(ctx, signal(abp.abp_id, id), { actor: null })),
      // The same id with other content: a conflict; the same row again: a harmless repeat.
      ingestEvidence(ctx, signal(abp.abp_id, first, 'red'), { actor: null }),
      ingestEvidence(ctx, signal(abp.abp_id, first), { actor: null }),
      ingestEvidence(ctx, signal(`abp-nobody-built-${unique('x')}`, unique('gc-unknown')), { actor: null }),
    ]);
    for (const r of results.slice(0, fine.length)) {
      expect(r.status).toBe('fulfilled');
      if (r.status === 'fulfilled') expect(r.value.driftSignals).toEqual({ received: 1, stored: 1 });
    }
    const [conflicting, repeat, unknown] = results.slice(fine.length);
    expect(conflicting).toMatchObject({ status: 'rejected', reason: { kind: 'conflict' } });
    expect(repeat).toMatchObject({ status: 'fulfilled', value: { driftSignals: { received: 1, stored: 0 } } });
    expect(unknown).toMatchObject({ status: 'rejected', reason: { kind: 'invalid' } });
    expect((await storedSignals(fine)).length).toBe(fine.length);
    expect(await storedSignals([first])).toEqual([{ signal_id: first, severity: 'green' }]);
  });

  it('a flush is four round trips (its rows and entries in one statement); a lone repeat is undone and stored the careful way', async () => {
    const abp = await buildUniqueAbp(ctx);
    const { counting, counted } = countingPool();
    let statements = 0;
    const deps = { pool: counting, provenanceKey: ctx.provenanceKey };
    const item = (id: string) => ({ batch: parseIntakeBatch(signal(abp.abp_id, id)), actor: null });
    const [a, b] = [unique('gc-rt-a'), unique('gc-rt-b')];
    const both = await storeIntakeBatches(deps, [item(a), item(b)]);
    expect(both.map((r) => r.driftSignals)).toEqual([
      { received: 1, stored: 1 },
      { received: 1, stored: 1 },
    ]);
    // BEGIN with the lock, the targets, the rows with their entries, COMMIT.
    expect(counted() - statements).toBe(4);
    statements = counted();
    const [again] = await storeIntakeBatches(deps, [item(a)]);
    expect(again!.driftSignals).toEqual({ received: 1, stored: 0 });
    expect(counted() - statements).toBeGreaterThan(4);
    const entries = await ctx.pool.query<{ payload: { drift_signals: number } }>(
      `SELECT payload FROM provenance_log WHERE kind = 'evidence.ingested' AND subject = $1`,
      [`abp:${abp.abp_id}`],
    );
    // One entry per item stored; the repeat stored nothing and has none.
    expect(entries.rows.map((r) => r.payload.drift_signals)).toEqual([1, 1]);
  });

  it('an unknown actor is refused in the transaction, alone or in a burst', async () => {
    const abp = await buildUniqueAbp(ctx);
    const ok = unique('gc-actor-ok');
    const nobody = unique('gc-nobody');
    const [stored, refused] = await Promise.allSettled([
      ingestEvidence(ctx, signal(abp.abp_id, ok), { actor: null }),
      ingestEvidence(ctx, signal(abp.abp_id, unique('gc-actor-refused')), { actor: nobody }),
    ]);
    expect(stored).toMatchObject({ status: 'fulfilled', value: { driftSignals: { stored: 1 } } });
    expect(refused).toMatchObject({ status: 'rejected', reason: { kind: 'forbidden' } });
    await expect(ingestEvidence(ctx, signal(abp.abp_id, unique('gc-alone')), { actor: nobody })).rejects.toMatchObject({
      kind: 'forbidden',
    });
  });

  it('over HTTP a cached token revoked by another writer is refused by the very next write, which stores nothing', async () => {
    const abp = await buildUniqueAbp(ctx);
    const sender = unique('gc-sender');
    await addPrincipal(ctx.pool, sender, ['operator']);
    const { token, info } = await createApiToken(ctx.pool, { principal: sender });
    const server = createApiServer(ctx);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const send = async (id: string) => {
        const res = await fetch(`${base}/api/v1/evidence`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
          body: signal(abp.abp_id, id),
        });
        return { status: res.status, body: (await res.json()) as { error?: string } };
      };
      const [a, b, c] = [unique('gc-http-a'), unique('gc-http-b'), unique('gc-http-c')];
      expect((await send(a)).status).toBe(200);
      expect((await send(b)).status).toBe(200);
      await revokeApiToken(ctx.pool, info.id);
      const refused = await send(c);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toMatch(/revoked/);
      expect((await storedSignals([a, b, c])).map((r) => r.signal_id)).toEqual([a, b].sort());
      const actors = await ctx.pool.query<{ actor: string }>(
        `SELECT DISTINCT actor FROM provenance_log WHERE kind = 'evidence.ingested' AND subject = $1`,
        [`abp:${abp.abp_id}`],
      );
      expect(actors.rows).toEqual([{ actor: sender }]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('once it knows the head a flush is one round trip; a moved head, a repeat or an unknown ABP take the careful way', async () => {
    const abp = await buildUniqueAbp(ctx);
    const { counting, counted, last } = countingPool();
    const commit = new IntakeCommit({ pool: counting, provenanceKey: ctx.provenanceKey });
    const item = (id: string, abpId = abp.abp_id) => ({ batch: parseIntakeBatch(signal(abpId, id)), actor: null });
    const store = async (id: string, abpId?: string) => {
      const before = counted();
      const result = await commit.store(item(id, abpId));
      return { result, statements: counted() - before };
    };
    const stored: string[] = [];
    const storeNew = async (name: string) => {
      const id = unique(name);
      const done = await store(id);
      expect(done.result.driftSignals).toEqual({ received: 1, stored: 1 });
      stored.push(id);
      return done.statements;
    };
    /**
     * Stores new rows until one flush is a single message. The worker of this context may append
     * to the chain meanwhile (an evaluation an earlier write asked for): a flush after such an
     * append falls back (1 + 4 statements) and leaves the new head, so the next one is one message.
     */
    const oneMessageSoon = async (name: string) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const statements = await storeNew(name);
        expect([1, 4, 5]).toContain(statements);
        if (statements === 1) {
          // The lock and the statement prepared once per session, in one simple-protocol message.
          expect(last()).toMatch(
            /^SELECT pg_advisory_xact_lock\(\d+\); SET LOCAL enable_seqscan = off; EXECUTE warden_store_intake_/,
          );
          return;
        }
        if (Date.now() > deadline) throw new Error('no flush was a single message within 60 s');
      }
    };
    // A new commit knows no head: its first flush is the transaction, which reads it.
    expect(await storeNew('gc-1rt-first')).toBe(4);
    await oneMessageSoon('gc-1rt-known');
    // Another writer moves the head: the one message writes nothing and the transaction stores it.
    await appendProvenance(ctx.pool, ctx.provenanceKey, {
      kind: 'test.moved',
      subject: 'test',
      actor: null,
      payload: {},
    });
    expect(await storeNew('gc-1rt-moved')).toBe(5);
    await oneMessageSoon('gc-1rt-again');
    // A harmless repeat is answered as such, an unknown ABP refused, by the careful way.
    expect(await store(stored.at(-1)!)).toMatchObject({ result: { driftSignals: { received: 1, stored: 0 } } });
    await expect(commit.store(item(unique('gc-1rt-x'), `ABP-${randomBytes(4).toString('hex')}`))).rejects.toThrow(
      /no ABP ABP-[0-9a-f]{8} has been built/,
    );
    // A refused flush leaves the head unknown: the next one reads it again (4), then one message.
    expect(await storeNew('gc-1rt-after')).toBe(4);
    await oneMessageSoon('gc-1rt-last');
    expect((await storedSignals(stored)).map((r) => r.signal_id)).toEqual([...stored].sort());
    const entries = await ctx.pool.query<{ payload: { drift_signals: number } }>(
      `SELECT payload FROM provenance_log WHERE kind = 'evidence.ingested' AND subject = $1 ORDER BY seq`,
      [`abp:${abp.abp_id}`],
    );
    // One entry per row stored, none for the repeat or the refusal.
    expect(entries.rows.map((r) => r.payload.drift_signals)).toEqual(stored.map(() => 1));
    const chain = await verifyProvenanceChain(ctx.pool, ctx.provenanceKey);
    expect(chain).toMatchObject({ ok: true });
  });
});

describe("the intake flush's prepared statement", () => {
  it('keeps a plan that walks the indexes, though it was planned while the tables were small', async () => {
    const abp = await buildUniqueAbp(ctx);
    // One connection: its session holds the statement and the generic plan made after five runs.
    const pool = createPool(ctx.config.databaseUrl, 1);
    const id = unique('planned');
    try {
      // A head that is not the chain's: each run plans (or reuses the plan) and writes nothing.
      const head = { seq: 0, contentHash: 'not-the-head' };
      for (let i = 0; i < 7; i++)
        expect(
          await storeIntakeAtHead(
            pool,
            ctx.provenanceKey,
            [{ batch: parseIntakeBatch(signal(abp.abp_id, id)), actor: 'nobody-yet', tokenId: 'tok-none' }],
            head,
          ),
        ).toBeNull();
      // Six inputs and the entries (jsonb), the head's seq and hash.
      const plan = await keptGenericPlan(pool, 'warden_store_intake', [...Array(7).fill("'[]'::jsonb"), '0', "'x'"]);
      expect(plan).toMatch(/Index (Only )?Scan using drift_signals_pkey/);
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      await pool.end();
    }
    expect(await storedSignals([id])).toEqual([]);
  });
});
