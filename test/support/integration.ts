import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type { WardenContext } from '../../client/context';
import { DeferredWork } from '../../client/deferred-work';
import { type WardenConfig, loadConfig } from '../../config/env';
import { startEmbeddedPostgres } from '../../db/embedded-postgres';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { createScratchDatabase } from '../../db/scratch-database';
import { createWardenWorker } from '../../worker/create-worker';

export interface IntegrationContext extends WardenContext {
  config: WardenConfig;
  pool: pg.Pool;
  temporal: Client;
  taskQueue: string;
  /** Starts (again) a worker on this file's task queue; resolves once it is running. */
  startWorker(): Promise<void>;
  /** Stops the worker as a crash would leave it: in-flight work is picked up by the next one. */
  stopWorker(): Promise<void>;
}

let quietRuntime = false;

/**
 * A database of this file's own (an embedded one, or a scratch database on the DATABASE_URL
 * server), migrated: for tests that assert that nothing at all was written, which the database
 * shared with files running in parallel cannot show.
 */
async function ownDatabase(): Promise<{ url: string; stop(): Promise<void> }> {
  const external = process.env.DATABASE_URL;
  const db = external
    ? await createScratchDatabase(external, 'warden_own').then((s) => ({ url: s.url, stop: s.drop }))
    : await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
  const pool = createPool(db.url, 2);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return db;
}

/**
 * Per test file: a Warden context on the shared dev server and scratch database, with a real worker
 * on a task queue of its own so files running in parallel never take each other's tasks.
 * Use the returned object inside tests and hooks (its fields are filled in beforeAll).
 * `ownDatabase` gives the file a database of its own instead of the shared one.
 */
export function useIntegrationContext(
  name: string,
  opts: {
    ownDatabase?: boolean;
    /** Extra environment (read when the context is made, e.g. a model stub's URL). */ env?: () => Record<
      string,
      string
    >;
  } = {},
): IntegrationContext {
  const ctx = {} as IntegrationContext;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  let database: { url: string; stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    if (!quietRuntime) {
      // The SDK's default logger prints every worker state change; tests only need warnings.
      Runtime.install({ logger: new (await import('@temporalio/worker')).DefaultLogger('WARN') });
      quietRuntime = true;
    }
    const dataDir = join(inject('scratchDir'), `${name}-${randomBytes(3).toString('hex')}`);
    await mkdir(dataDir, { recursive: true });
    if (opts.ownDatabase) database = await ownDatabase();
    // A chain of its own is signed with a key of its own: the provenance anchor workflow is named
    // by the key, so two databases sharing one would anchor each other's heads in one workflow.
    const provenanceKey = database ? randomBytes(32).toString('hex') : inject('provenanceKey');
    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      DATABASE_URL: database?.url ?? inject('databaseUrl'),
      WARDEN_PROVENANCE_KEY: provenanceKey,
      WARDEN_DATA_DIR: dataDir,
      ...opts.env?.(),
    });
    const pool = createPool(config.databaseUrl, 8);
    connection = await Connection.connect({ address: config.temporal.address });
    nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    Object.assign(ctx, {
      config,
      pool,
      temporal: new Client({ connection, namespace: config.temporal.namespace }),
      provenanceKey,
      taskQueue: `test-${name}-${randomBytes(4).toString('hex')}`,
      deferred: new DeferredWork(),
      close: async () => undefined,
      async startWorker() {
        if (worker) throw new Error('worker already running');
        ({ worker } = await createWardenWorker({
          pool,
          config,
          provenanceKey: ctx.provenanceKey,
          taskQueue: ctx.taskQueue,
          connection: nativeConnection,
          workflowBundle: { codePath: inject('workflowBundlePath') },
          overrides: { shutdownGraceTime: '1s' },
        }));
        running = worker.run();
      },
      async stopWorker() {
        if (!worker) return;
        worker.shutdown();
        await running;
        worker = undefined;
        running = undefined;
      },
    } satisfies Omit<IntegrationContext, never>);
    await ctx.startWorker();
  });

  afterAll(async () => {
    await ctx.deferred?.settle();
    await ctx.stopWorker?.();
    await nativeConnection?.close();
    await connection?.close();
    await ctx.pool?.end();
    await database?.stop();
  });

  return ctx;
}
