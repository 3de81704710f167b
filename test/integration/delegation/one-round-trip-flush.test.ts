import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ActionCheckEngine } from '../../../client/action-check';
import { provenanceEntry } from '../../../client/provenance-entries';
import { recordChecksAtHead, type StampedCheck } from '../../../db/delegation/action-checks';
import { snapshotFacts } from '../../../db/delegation/action-facts';
import { appendProvenance, signEntriesAfter, type ProvenanceHead } from '../../../db/provenance/log';
import { PipelinedConnection } from '../../../db/pipelined-connection';
import { createPool } from '../../../db/pool';
import { ActionSchema } from '../../../domain/delegation/action';
import { checkAction } from '../../../domain/delegation/validators';
import { checkAbpIdentity } from '../../../domain/delegation/identity';
import type { Abp } from '../../../domain/delegation/schema';
import { eventually } from '../endorsement/helpers';
import { useIntegrationContext } from '../../support/integration';
import { keptGenericPlan } from './kept-plan';
import { buildUniqueAbp, sendExternalEmail } from './fixtures';

const ctx = useIntegrationContext('delegation-one-round-trip-flush');

const readHead = async (): Promise<ProvenanceHead> => {
  const { rows } = await ctx.pool.query<{ seq: number; content_hash: string }>(
    'SELECT seq, content_hash FROM provenance_log ORDER BY seq DESC LIMIT 1',
  );
  return { seq: rows[0]!.seq, contentHash: rows[0]!.content_hash };
};

/** A verdict for an allowed read under `abp`, decided from its facts as the engine would. */
async function stampedRead(abp: Abp, actionId: string, tokenId: string | null = null): Promise<StampedCheck> {
  const now = new Date();
  const snapshot = await snapshotFacts(ctx.pool, abp.abp_id, now);
  const action = ActionSchema.parse({
    ...sendExternalEmail(abp.hash, 1),
    tool: 'ats.read',
    irreversible: false,
    action_id: actionId,
  });
  const verdict = checkAction(
    { ...snapshot.facts, now: now.getTime(), identity: checkAbpIdentity(snapshot.facts.abp) },
    action,
  );
  expect(verdict.decision).toBe('allowed');
  return {
    checkId: `${abp.abp_id}/${actionId}`,
    abpId: abp.abp_id,
    abpHash: abp.hash,
    action,
    verdict,
    checkedAt: now,
    stamps: snapshot.stamps,
    tokenId,
  };
}

const entryOf = (c: StampedCheck) => ({
  kind: 'action.checked',
  subject: `abp:${c.abpId}`,
  actor: c.action.agent_id ?? null,
  payload: { check_id: c.checkId, decision: c.verdict.decision },
});

const stored = async (checkIds: string[]) =>
  (
    await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM abp_action_checks WHERE check_id = ANY($1)', [
      checkIds,
    ])
  ).rows[0]!.n;

/** The entries recorded for `checkId`, each with its own checks (hash, signature, link). */
async function entriesFor(checkId: string) {
  const { rows } = await ctx.pool.query<{ seq: number }>(
    `SELECT seq FROM provenance_log WHERE kind = 'action.checked' AND payload->>'check_id' = $1`,
    [checkId],
  );
  return Promise.all(rows.map((r) => provenanceEntry(ctx, r.seq)));
}

/** The test context's pool, recording every message sent through it, by the pool or a client checked out of it. */
function countingPool() {
  const sent: string[] = [];
  const record = (args: unknown[]) => {
    const q = args[0];
    sent.push(typeof q === 'string' ? q : String((q as { text?: unknown }).text));
  };
  const recording = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const value = Reflect.get(t, prop, receiver) as unknown;
        if (prop !== 'query' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          record(args);
          return (value as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
  const wrapped = new WeakMap<pg.PoolClient, pg.PoolClient>();
  const pool = new Proxy(ctx.pool, {
    get(target, prop, receiver) {
      if (prop === 'query') return recording(target).query.bind(target);
      if (prop === 'connect')
        return async () => {
          // One wrapper per connection, as the pool hands out one object per connection.
          const client = await target.connect();
          if (!wrapped.has(client)) wrapped.set(client, recording(client));
          return wrapped.get(client)!;
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  }) as pg.Pool;
  return { pool, sent };
}

/** A transaction of its own: the long way of a flush (or of a check). */
const begins = (sent: string[]) => sent.filter((q) => q.startsWith('BEGIN')).length;

describe('the group commit in one round trip (recordChecksAtHead)', () => {
  it('records the checks and their entries, linked after the head they were signed on', async () => {
    const abp = await buildUniqueAbp(ctx);
    const checks = [await stampedRead(abp, 'one-a'), await stampedRead(abp, 'one-b')];
    // Other files append to the same chain meanwhile: the head is read again until it held.
    const head = await eventually(
      async () => {
        const head = await readHead();
        const entries = signEntriesAfter(ctx.provenanceKey, checks.map(entryOf), head);
        return (await recordChecksAtHead(ctx.pool, checks, entries, head)) ? head : null;
      },
      (h) => h !== null,
      60_000,
    );
    expect(await stored(checks.map((c) => c.checkId))).toBe(2);
    const [a] = await entriesFor(checks[0]!.checkId);
    const [b] = await entriesFor(checks[1]!.checkId);
    expect(a?.seq).toBe(head!.seq + 1);
    expect(a?.prevHash).toBe(head!.contentHash);
    expect(b?.seq).toBe(head!.seq + 2);
    for (const e of [a!, b!]) expect(e.checks).toEqual({ contentHash: true, signature: true, link: true });
  });

  it('writes nothing when the head moved, a check is already stored, its facts changed or its token is refused', async () => {
    const abp = await buildUniqueAbp(ctx);
    const fresh = await stampedRead(abp, 'moved');
    const head = await readHead();
    await appendProvenance(ctx.pool, ctx.provenanceKey, { kind: 'test.moved', subject: `abp:${abp.abp_id}` });
    const movedEntries = signEntriesAfter(ctx.provenanceKey, [entryOf(fresh)], head);
    expect(await recordChecksAtHead(ctx.pool, [fresh], movedEntries, head)).toBe(false);

    const stale = { ...(await stampedRead(abp, 'stale')), stamps: { ...fresh.stamps, stamp: -1 } };
    const refused = await stampedRead(abp, 'refused', 'no-such-token');
    const already = await stampedRead(abp, 'already');
    await eventually(
      async () => {
        const now = await readHead();
        return recordChecksAtHead(
          ctx.pool,
          [already],
          signEntriesAfter(ctx.provenanceKey, [entryOf(already)], now),
          now,
        );
      },
      (done) => done,
      60_000,
    );
    for (const batch of [[fresh, stale], [refused], [fresh, already]]) {
      const now = await readHead();
      expect(
        await recordChecksAtHead(ctx.pool, batch, signEntriesAfter(ctx.provenanceKey, batch.map(entryOf), now), now),
      ).toBe(false);
    }
    expect(await stored([fresh.checkId, stale.checkId, refused.checkId])).toBe(0);
    for (const c of [fresh, stale, refused]) expect(await entriesFor(c.checkId)).toEqual([]);
    expect(await entriesFor(already.checkId)).toHaveLength(1);
  });

  it("a cold engine's first check (the CLI's only one) flushes through it from the head read with the facts", async () => {
    const abp = await buildUniqueAbp(ctx);
    const read = { ...sendExternalEmail(abp.hash, 1), tool: 'ats.read', irreversible: false };
    let n = 0;
    // A fresh engine each time, as each CLI process is; another file appending between its read
    // of the facts and its flush sends it the long way (a transaction).
    const checkId = await eventually(
      async () => {
        const { pool, sent } = countingPool();
        const r = await new ActionCheckEngine({ pool, provenanceKey: ctx.provenanceKey }).check(abp.abp_id, {
          ...read,
          action_id: `cold-${n++}`,
        });
        expect(r.decision).toBe('allowed');
        return begins(sent) === 0 ? r.checkId : null;
      },
      (id) => id !== null,
      60_000,
    );
    expect(await stored([checkId!])).toBe(1);
    expect((await entriesFor(checkId!))[0]!.checks).toEqual({ contentHash: true, signature: true, link: true });
  });

  it('the engine answers through it: one message (the lock and the prepared write) and no transaction of its own once it knows the head', async () => {
    const abp = await buildUniqueAbp(ctx);
    const { pool: counting, sent } = countingPool();
    const engine = new ActionCheckEngine({ pool: counting, provenanceKey: ctx.provenanceKey });
    const read = { ...sendExternalEmail(abp.hash, 1), tool: 'ats.read', irreversible: false };
    let n = 0;
    // The first flush learns the head the long way; a later one (once no other file appended in
    // between, the compiled ABP held and the connection has the statement prepared) is one message.
    const checkId = await eventually(
      async () => {
        const before = sent.length;
        const r = await engine.check(abp.abp_id, { ...read, action_id: `fast-${n++}` });
        expect(r.decision).toBe('allowed');
        const added = sent.slice(before);
        return added.length === 1 &&
          /^SELECT pg_advisory_xact_lock\(\d+\); SET LOCAL enable_seqscan = off; EXECUTE warden_record_checks_/.test(
            added[0]!,
          )
          ? r.checkId
          : null;
      },
      (id) => id !== null,
      60_000,
    );
    expect(await stored([checkId!])).toBe(1);
    const entries = await entriesFor(checkId!);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.checks).toEqual({ contentHash: true, signature: true, link: true });
  });
});

describe('flushes pipelined on one connection (PipelinedConnection)', () => {
  it('a flush sent before the previous one is answered, signed after its entries, is recorded after it', async () => {
    const abp = await buildUniqueAbp(ctx);
    const pipeline = new PipelinedConnection(ctx.config.databaseUrl);
    let n = 0;
    try {
      await pipeline.query('SELECT 1'); // connected: a message is then written as it is sent
      // Other files append to the same chain meanwhile (between the read and the first flush, or
      // between the two on a server): then neither is recorded, or only the first; tried again.
      const pair = await eventually(
        async () => {
          const [first, second] = [await stampedRead(abp, `piped-${n++}`), await stampedRead(abp, `piped-${n++}`)];
          const head = await readHead();
          const firstEntries = signEntriesAfter(ctx.provenanceKey, [entryOf(first)], head);
          const secondEntries = signEntriesAfter(ctx.provenanceKey, [entryOf(second)], firstEntries[0]!);
          const written = [
            recordChecksAtHead(pipeline, [first], firstEntries, head),
            recordChecksAtHead(pipeline, [second], secondEntries, firstEntries[0]!),
          ];
          // Both on the wire before either is answered.
          expect(pipeline.unanswered).toBeGreaterThanOrEqual(2);
          return (await Promise.all(written)).every(Boolean) ? [first, second] : null;
        },
        (p) => p !== null,
        60_000,
      );
      const [a] = await entriesFor(pair![0]!.checkId);
      const [b] = await entriesFor(pair![1]!.checkId);
      expect(b!.seq).toBe(a!.seq + 1);
      expect(b!.prevHash).toBe(a!.contentHash);
      for (const e of [a!, b!]) expect(e.checks).toEqual({ contentHash: true, signature: true, link: true });
    } finally {
      pipeline.close();
    }
  });

  it('an engine pipelining its flushes records every verdict once, chained, also when another writer moves the head', async () => {
    const abp = await buildUniqueAbp(ctx);
    const pipeline = new PipelinedConnection(ctx.config.databaseUrl);
    const engine = new ActionCheckEngine({ pool: ctx.pool, provenanceKey: ctx.provenanceKey, pipeline });
    const read = { ...sendExternalEmail(abp.hash, 1), tool: 'ats.read', irreversible: false };
    const ids: string[] = [];
    try {
      for (let wave = 0; wave < 4; wave++) {
        // Between waves another writer appends: the engine's next flush fails its head check and
        // goes the long way, and the flushes behind it too, without losing or doubling a verdict.
        await appendProvenance(ctx.pool, ctx.provenanceKey, { kind: 'test.moved', subject: `abp:${abp.abp_id}` });
        // Two at a time, a turn of the event loop apart: they arrive while flushes are in flight.
        const checking: Promise<{ decision: string; checkId: string }>[] = [];
        for (let i = 0; i < 24; i++) {
          checking.push(engine.check(abp.abp_id, { ...read, action_id: `wave-${wave}-${i}` }));
          if (i % 2 === 1) await new Promise((resolve) => setImmediate(resolve));
        }
        const records = await Promise.all(checking);
        expect(records.every((r) => r.decision === 'allowed')).toBe(true);
        ids.push(...records.map((r) => r.checkId));
      }
      await engine.drain();
      expect(await stored(ids)).toBe(ids.length);
      for (const id of ids) {
        const entries = await entriesFor(id);
        expect(entries).toHaveLength(1);
        expect(entries[0]!.checks).toEqual({ contentHash: true, signature: true, link: true });
      }
    } finally {
      pipeline.close();
    }
  });
});

describe("the flush's prepared statement", () => {
  it('keeps a plan that walks the indexes, though it was planned while the tables were small', async () => {
    const abp = await buildUniqueAbp(ctx);
    // One connection: its session holds the statement and the generic plan made after five runs.
    const pool = createPool(ctx.config.databaseUrl, 1);
    try {
      const check = await stampedRead(abp, 'planned');
      // A head that is not the chain's: each run plans (or reuses the plan) and writes nothing.
      const head = { seq: 0, contentHash: 'not-the-head' };
      for (let i = 0; i < 7; i++)
        expect(
          await recordChecksAtHead(pool, [check], signEntriesAfter(ctx.provenanceKey, [entryOf(check)], head), head),
        ).toBe(false);
      const plan = await keptGenericPlan(pool, 'warden_record_checks', ["'[]'::jsonb", '0', "'[]'::jsonb", '0', "'x'"]);
      expect(plan).toMatch(/Index (Only )?Scan using abp_action_checks_pkey/);
      expect(plan).not.toMatch(/Seq Scan/);
    } finally {
      await pool.end();
    }
    expect(await stored([`${abp.abp_id}/planned`])).toBe(0);
  });
});
