import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext, type WardenContext } from '../../client/context';
import { approve, ingestFeedback, proposeCalibrationUpdate, release, showProposal } from '../../client/guard';
import { loadConfig } from '../../config/env';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../db/embedded-postgres';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { listProvenance } from '../../db/provenance-log';
import { createWardenWorker } from '../../worker/create-worker';
import protos from '@temporalio/proto';
import { wardenSearchAttributes } from '../../domain/search-attributes';
import { reviewedRows, seedPeopleAndPolicy, SEED_POLICY, toNdjson, type GuardPeople } from '../integration/guard/guard-fixtures';
import { createTimeSkippingEnv } from '../support/time-skipping';

const DAY_MS = 24 * 60 * 60 * 1000;
const workflowsPath = fileURLToPath(new URL('../../workflows/guard/proposal.ts', import.meta.url));

describe('guard-loop approval window (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let database: EmbeddedPostgres;
  let dataDir: string;
  let ctx: WardenContext;
  let worker: Worker;
  let running: Promise<void>;
  let people: GuardPeople;
  const tenant = 'timeskip-tenant';

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'warden-guard-timeskip-'));
    [env, database] = await Promise.all([createTimeSkippingEnv(), startEmbeddedPostgres({ dataDir: undefined, port: 0 })]);
    // The test server knows no custom search attributes until they are added; it implements
    // the add call but not the list call that ensureSearchAttributes starts with.
    await env.client.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        wardenSearchAttributes.map((k) => [k.name, protos.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
    const pool = createPool(database.url, 4);
    await migrate(pool);
    const config = loadConfig({ ...process.env, DATABASE_URL: database.url, WARDEN_DATA_DIR: dataDir, WARDEN_PROVENANCE_KEY: randomBytes(32).toString('hex') });
    const taskQueue = `guard-timeskip-${randomBytes(4).toString('hex')}`;
    ctx = await openContext({ config, pool, temporal: env.client, taskQueue });
    ({ worker } = await createWardenWorker({
      pool,
      config,
      provenanceKey: ctx.provenanceKey,
      taskQueue,
      connection: env.nativeConnection,
      overrides: { workflowsPath, shutdownGraceTime: '1s' },
    }));
    running = worker.run();
    people = await seedPeopleAndPolicy(ctx, 'ts');
    await ingestFeedback(ctx, toNdjson(reviewedRows(tenant, 32, { marker: 'timeskip' })));
  }, 180_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await ctx?.pool.end();
    await env?.teardown();
    await database?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const seed = (rollback: string) => ({
    policy_id: SEED_POLICY.policy_id,
    source_ref: `feedback://recent-reviewed?tenant=${tenant}`,
    proposer: people.proposer,
    current_threshold: 0.55,
    candidate_threshold: 0.58,
    confidence_low: 0.51,
    confidence_high: 0.61,
    rollback_id: rollback,
  });

  it('expires an unapproved proposal after the default 7 days, records it, and refuses approval afterwards', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, seed('rb-expiry'));
    expect(proposal.state).toBe('awaiting_approval');
    const handle = env.client.workflow.getHandle(proposal.proposal_id);
    const result = await handle.result();
    expect(result).toMatchObject({ state: 'expired' });

    const description = await handle.describe();
    const elapsed = description.closeTime!.getTime() - description.startTime.getTime();
    expect(elapsed).toBeGreaterThanOrEqual(7 * DAY_MS);
    expect(elapsed).toBeLessThan(8 * DAY_MS);

    const shown = await showProposal(ctx, proposal.proposal_id);
    expect(shown.state).toBe('expired');
    expect(shown.approval).toBeNull();
    const kinds = (await listProvenance(ctx.pool, { subject: `proposal:${proposal.proposal_id}` })).map((e) => e.kind);
    expect(kinds).toContain('guard.proposal.expired');
    await expect(approve(ctx, proposal.proposal_id, { approval_id: 'late-approval', approver: people.approver })).rejects.toThrow(/expired/);
    await expect(release(ctx, proposal.proposal_id)).rejects.toThrow(/not approved/);
  });

  it('honours a configured approval window', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, { ...seed('rb-short-window'), approval_timeout: '36 hours' });
    const handle = env.client.workflow.getHandle(proposal.proposal_id);
    expect(await handle.result()).toMatchObject({ state: 'expired' });
    const description = await handle.describe();
    const elapsed = description.closeTime!.getTime() - description.startTime.getTime();
    expect(elapsed).toBeGreaterThanOrEqual(36 * 60 * 60 * 1000);
    expect(elapsed).toBeLessThan(7 * DAY_MS);
  });

  it('does not expire a proposal approved inside the window', async () => {
    const proposal = await proposeCalibrationUpdate(ctx, seed('rb-in-time'));
    await approve(ctx, proposal.proposal_id, { approval_id: 'in-time-approval', approver: people.approver });
    const payload = await release(ctx, proposal.proposal_id);
    const result = await env.client.workflow.getHandle(proposal.proposal_id).result();
    expect(result).toMatchObject({ state: 'released', payload });
    expect(payload).toMatchObject({ candidate_threshold: 0.58 });
  });
});
