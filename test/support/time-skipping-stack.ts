import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protos from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import { openContext, type WardenContext } from '../../client/context';
import { loadConfig } from '../../config/env';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { wardenSearchAttributes } from '../../domain/search-attributes';
import { createWardenWorker } from '../../worker/create-worker';
import { leaseDatabase } from './database-lease';
import { createTimeSkippingEnv } from './time-skipping';

export interface TimeSkippingStack {
  env: TestWorkflowEnvironment;
  ctx: WardenContext;
}

/**
 * Per test file: the time-skipping test server, an in-memory embedded PostgreSQL of its own
 * (migrated, from timeskip-setup.ts), and a real Warden worker (real activities) on the run's workflow bundle (every
 * Warden workflow; see timeskip-setup.ts). Fields are filled in beforeAll.
 */
export function useTimeSkippingStack(name: string): TimeSkippingStack {
  const stack = {} as TimeSkippingStack;
  let database: { url: string; release(): Promise<void> } | undefined;
  let dataDir: string | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `warden-${name}-timeskip-`));
    const [env, db] = await Promise.all([createTimeSkippingEnv(), leaseDatabase(inject('databaseLeaseUrl'))]);
    database = db;
    // The test server knows no custom search attributes until they are added; it implements
    // the add call but not the list call that ensureSearchAttributes starts with.
    await env.client.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        wardenSearchAttributes.map((k) => [
          k.name,
          protos.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        ]),
      ),
    });
    const pool = createPool(db.url, 4);
    await migrate(pool);
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: db.url,
      WARDEN_DATA_DIR: dataDir,
      WARDEN_PROVENANCE_KEY: randomBytes(32).toString('hex'),
    });
    const taskQueue = `${name}-timeskip-${randomBytes(4).toString('hex')}`;
    const ctx = await openContext({ config, pool, temporal: env.client, taskQueue });
    ({ worker } = await createWardenWorker({
      pool,
      config,
      provenanceKey: ctx.provenanceKey,
      taskQueue,
      connection: env.nativeConnection,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      overrides: { shutdownGraceTime: '1s' },
    }));
    running = worker.run();
    Object.assign(stack, { env, ctx });
  }, 180_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await stack.ctx?.pool.end();
    await stack.env?.teardown();
    await database?.release();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  return stack;
}
