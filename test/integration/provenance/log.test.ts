import { describe, expect, it } from 'vitest';
import {
  appendProvenance,
  appendProvenanceBatch,
  listProvenance,
  verifyProvenanceChain,
} from '../../../db/provenance/log';
import { createPool, withTransaction } from '../../../db/pool';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('provenance');

/** Thrown to roll a transaction back on purpose. */
class Rollback extends Error {}

describe('provenance log', () => {
  it('keeps one valid chain under many concurrent writers (workflows, activities and direct appends)', async () => {
    const subject = `concurrency-${Date.now()}`;
    // Eight independent pools: eight writers that each hold their own connections.
    const pools = Array.from({ length: 8 }, () => createPool(ctx.config.databaseUrl, 3));
    try {
      const direct = pools.flatMap((pool, w) =>
        Array.from({ length: 10 }, (_, i) =>
          appendProvenance(pool, ctx.provenanceKey, { kind: 'test.concurrent', subject, payload: { writer: w, i } }),
        ),
      );
      const viaWorkflows = Array.from({ length: 8 }, (_, i) =>
        ctx.temporal.workflow.execute('provenanceFixtureWorkflow', {
          taskQueue: ctx.taskQueue,
          workflowId: `${subject}-wf-${i}`,
          args: [subject, 3],
        }),
      );
      const [entries, workflowSeqs] = await Promise.all([Promise.all(direct), Promise.all(viaWorkflows)]);
      const seqs = [...entries.map((e) => e.seq), ...(workflowSeqs as number[][]).flat()];
      expect(new Set(seqs).size).toBe(80 + 24);
      const listed = await listProvenance(ctx.pool, { subject, limit: 1000 });
      expect(listed).toHaveLength(104);
      const verification = await verifyProvenanceChain(ctx.pool, ctx.provenanceKey);
      expect(verification.ok).toBe(true);
      expect(verification.entries).toBeGreaterThanOrEqual(104);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('a retried append with the same idempotency key adds no second entry', async () => {
    const key = `idem-${Date.now()}-${Math.random()}`;
    const first = await appendProvenance(ctx.pool, ctx.provenanceKey, {
      kind: 'test.idem',
      subject: key,
      payload: {},
      idempotencyKey: key,
    });
    const retried = await appendProvenance(ctx.pool, ctx.provenanceKey, {
      kind: 'test.idem',
      subject: key,
      payload: {},
      idempotencyKey: key,
    });
    expect(retried).toEqual(first);
    expect(await listProvenance(ctx.pool, { subject: key })).toHaveLength(1);
  });

  it('appends a batch as consecutive linked entries, and a retried batch adds only what is new', async () => {
    const subject = `batch-${Date.now()}-${Math.random()}`;
    const input = (i: number) => ({ kind: 'test.batch', subject, payload: { i }, idempotencyKey: `${subject}/${i}` });
    const first = await appendProvenanceBatch(ctx.pool, ctx.provenanceKey, [0, 1, 2].map(input));
    expect(first.map((e) => e.seq)).toEqual([first[0]!.seq, first[0]!.seq + 1, first[0]!.seq + 2]);
    expect(first[1]!.prevHash).toBe(first[0]!.contentHash);
    expect(first[2]!.prevHash).toBe(first[1]!.contentHash);
    // A retry after a partial failure elsewhere: two already recorded, one new, one repeated in the batch.
    const retried = await appendProvenanceBatch(ctx.pool, ctx.provenanceKey, [input(1), input(3), input(2), input(3)]);
    expect(retried[0]).toEqual(first[1]);
    expect(retried[2]).toEqual(first[2]);
    expect(retried[3]).toEqual(retried[1]);
    expect(retried[1]!.seq).toBeGreaterThan(first[2]!.seq);
    const listed = await listProvenance(ctx.pool, { subject, limit: 10 });
    expect(listed.map((e) => e.payload.i).sort()).toEqual([0, 1, 2, 3]);
    expect(listed.find((e) => e.payload.i === 1)).toEqual(first[1]);
    expect((await verifyProvenanceChain(ctx.pool, ctx.provenanceKey)).ok).toBe(true);
    expect(await appendProvenanceBatch(ctx.pool, ctx.provenanceKey, [])).toEqual([]);
  });

  it('detects an entry changed behind the trigger and names it', async () => {
    const entry = await appendProvenance(ctx.pool, ctx.provenanceKey, {
      kind: 'test.tamper',
      subject: 'tamper',
      payload: { score: 0.1 },
    });
    await withTransaction(ctx.pool, async (tx) => {
      await tx.query('ALTER TABLE provenance_log DISABLE TRIGGER provenance_log_no_update');
      await tx.query(`UPDATE provenance_log SET payload = '{"score": 0.9}' WHERE seq = $1`, [entry.seq]);
      const result = await verifyProvenanceChain(tx, ctx.provenanceKey);
      expect(result.ok).toBe(false);
      expect(result.firstBad).toEqual({ seq: entry.seq, reason: 'content hash does not match the entry' });
      throw new Rollback();
    }).catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
    expect((await verifyProvenanceChain(ctx.pool, ctx.provenanceKey)).ok).toBe(true);
  });

  it('refuses payloads that would carry text or secrets', async () => {
    await expect(
      appendProvenance(ctx.pool, ctx.provenanceKey, {
        kind: 'test.bad',
        subject: 'x',
        payload: { nested: { prompt: 'hello' } },
      }),
    ).rejects.toThrow(/payload\.nested\.prompt/);
  });

  it('rejects updates and deletes: the table is append-only', async () => {
    await expect(ctx.pool.query("UPDATE provenance_log SET subject = 'forged' WHERE seq = 1")).rejects.toThrow(
      /append-only/,
    );
    await expect(ctx.pool.query('DELETE FROM provenance_log WHERE seq = 1')).rejects.toThrow(/append-only/);
  });

  it('names the first bad entry when the chain is verified with another key', async () => {
    await appendProvenance(ctx.pool, ctx.provenanceKey, { kind: 'test.key', subject: 'key', payload: {} });
    const result = await verifyProvenanceChain(ctx.pool, 'ff'.repeat(32));
    expect(result.ok).toBe(false);
    expect(result.firstBad).toEqual({ seq: 1, reason: expect.stringMatching(/signature/) });
  });
});
