import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { anchorProvenanceNow, ensureProvenanceAnchor, readProvenanceAnchor } from '../../../client/provenance-anchor';
import { verifyProvenance } from '../../../client/provenance-verify';
import { startEmbeddedPostgres } from '../../../db/embedded-postgres';
import { migrate } from '../../../db/migrate';
import { createPool, withTransaction } from '../../../db/pool';
import { appendProvenance, verifyProvenanceChain } from '../../../db/provenance/log';
import { createScratchDatabase } from '../../../db/scratch-database';
import { anchorWorkflowId } from '../../../domain/provenance/anchor';
import { createWardenWorker } from '../../../worker/create-worker';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('provenance-anchor');

/**
 * A chain of its own: its own database (the attacker below deletes committed entries, which would
 * break every other file's chain), its own key (so its own anchor workflow) and a worker on a
 * task queue of its own.
 */
const key = randomBytes(32).toString('hex');
const taskQueue = `anchor-${randomBytes(4).toString('hex')}`;
let database: { url: string; stop(): Promise<void> };
let pool: pg.Pool;
let worker: Worker;
let running: Promise<void>;
let connection: NativeConnection;

beforeAll(async () => {
  const external = process.env.DATABASE_URL;
  if (external) {
    const scratch = await createScratchDatabase(external, 'warden_anchor');
    database = { url: scratch.url, stop: scratch.drop };
  } else {
    database = await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
  }
  pool = createPool(database.url, 4);
  await migrate(pool);
  connection = await NativeConnection.connect({ address: ctx.config.temporal.address });
  ({ worker } = await createWardenWorker({
    pool,
    config: ctx.config,
    provenanceKey: key,
    taskQueue,
    connection,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    overrides: { shutdownGraceTime: '1s' },
  }));
  running = worker.run();
});

afterAll(async () => {
  await ctx.temporal.workflow
    .getHandle(anchorWorkflowId(key))
    .terminate('test over')
    .catch(() => undefined);
  worker?.shutdown();
  await running;
  await connection?.close();
  await pool?.end();
  await database?.stop();
});

const append = (n: number) =>
  (async () => {
    for (let i = 0; i < n; i++)
      await appendProvenance(pool, key, { kind: 'test.anchor', subject: 'anchor', payload: { i } });
  })();

/** What an attacker with database rights does: switch the append-only rule off, delete, switch it back on. */
async function deleteNewestFrom(seq: number): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await tx.query('ALTER TABLE provenance_log DISABLE TRIGGER provenance_log_no_update');
    await tx.query('DELETE FROM provenance_log WHERE seq >= $1', [seq]);
    await tx.query('ALTER TABLE provenance_log ENABLE TRIGGER provenance_log_no_update');
  });
}

describe('provenance head anchor (finding 12)', () => {
  it('says so when the chain has no anchor, and when Temporal cannot be reached', async () => {
    await append(1);
    const none = await verifyProvenance(pool, ctx.temporal, key);
    expect(none).toMatchObject({ ok: true, anchor: { state: 'none' } });

    const nowhere = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }) });
    try {
      const unavailable = await verifyProvenance(pool, nowhere, key);
      expect(unavailable).toMatchObject({ ok: true, anchor: { state: 'unavailable' } });
      expect(unavailable.anchor.detail).toMatch(/deleted newest entries would not show/);
    } finally {
      await nowhere.connection.close();
    }
  });

  it('anchors the head, continues as new without losing it, survives a restart, and catches the newest entries being deleted', async () => {
    const { workflowId } = await ensureProvenanceAnchor(ctx.temporal, key, taskQueue, {
      intervalMs: 3_600_000,
      maxStepsPerRun: 2,
    });
    const firstRun = (await ctx.temporal.workflow.getHandle(workflowId).describe()).runId;

    await append(1);
    expect((await anchorProvenanceNow(ctx.temporal, key)).checkpoint).toMatchObject({ seq: 2 });
    await append(1);
    // The second step ends the run: the next one starts from the same checkpoint.
    expect((await anchorProvenanceNow(ctx.temporal, key)).checkpoint).toMatchObject({ seq: 3 });
    await expect
      .poll(async () => (await ctx.temporal.workflow.getHandle(workflowId).describe()).runId, { timeout: 30_000 })
      .not.toBe(firstRun);
    expect(await readProvenanceAnchor(ctx.temporal, key)).toMatchObject({
      found: true,
      running: true,
      signatureValid: true,
      state: { checkpoint: { seq: 3 } },
    });
    await append(2);
    const anchored = await anchorProvenanceNow(ctx.temporal, key);
    expect(anchored).toMatchObject({ checkpoint: { seq: 5 }, violation: null });
    expect(await verifyProvenance(pool, ctx.temporal, key)).toMatchObject({
      ok: true,
      anchor: { state: 'matched', checkpoint: { seq: 5 } },
    });

    // Stopping the anchor does not reset it: the next start resumes from the last signed checkpoint.
    await ctx.temporal.workflow.getHandle(workflowId).terminate('restart');
    const restarted = await ensureProvenanceAnchor(ctx.temporal, key, taskQueue, { intervalMs: 300 });
    expect(restarted.resumed?.checkpoint).toMatchObject({ seq: 5 });
    // Unasked, it anchors what is appended within an interval.
    await append(1);
    await expect
      .poll(() => readProvenanceAnchor(ctx.temporal, key), { timeout: 30_000 })
      .toMatchObject({ state: { checkpoint: { seq: 6 } } });

    await deleteNewestFrom(4);
    // What the chain alone says: a shorter chain is a valid chain.
    expect(await verifyProvenanceChain(pool, key)).toMatchObject({ ok: true, entries: 3 });
    const truncated = await verifyProvenance(pool, ctx.temporal, key);
    expect(truncated.ok).toBe(false);
    expect(truncated.anchor.state).toBe('violated');
    expect(truncated.firstBad).toEqual({
      seq: 4,
      reason: expect.stringMatching(
        /entries 4 to 6 are missing: entry 6 was anchored as the head at .* the chain ends at entry 3: the newest entries were deleted$/,
      ),
    });

    // The anchor sees it too, keeps its checkpoint, and Warden writing on does not paper over it.
    const seen = await anchorProvenanceNow(ctx.temporal, key);
    expect(seen.checkpoint).toMatchObject({ seq: 6 });
    expect(seen.violation).toMatchObject({ seq: 4, detail: expect.stringMatching(/entries 4 to 6 are missing/) });
    await append(4);
    expect(await verifyProvenanceChain(pool, key)).toMatchObject({ ok: true, entries: 7 });
    const after = await verifyProvenance(pool, ctx.temporal, key);
    expect(after).toMatchObject({ ok: false, anchor: { state: 'violated' }, firstBad: { seq: 4 } });
    expect(after.anchor.detail).toMatch(/the anchor saw it at .*entries 4 to 6 are missing/);

    // Deterministic: a run that continued as new and the run that saw the violation replay cleanly.
    for (const runId of [firstRun, (await ctx.temporal.workflow.getHandle(workflowId).describe()).runId]) {
      const history = await ctx.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        history,
        workflowId,
      );
    }
  });
});
