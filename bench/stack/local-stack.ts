import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type Worker, type WorkerOptions } from '@temporalio/worker';
import { openContext, type WardenContext } from '../../client/context';
import { loadConfig } from '../../config/env';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { wardenSearchAttributes } from '../../domain/search-attributes';
import { ensureTemporalCli } from '../../toolchain/temporal-cli';
import { createWardenWorker, workflowsPath } from '../../worker/create-worker';
import { startDefaultDatabase, type BenchDatabase } from './database';

export interface LocalStack {
  ctx: WardenContext;
  env: TestWorkflowEnvironment;
  database: BenchDatabase;
  worker: Worker;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Default: DATABASE_URL's server when set, else embedded PGlite in a child process. */
  database?: BenchDatabase;
  /** Extra environment for the configuration (e.g. WARDEN_MODEL_BASE_URL). */
  env?: Record<string, string>;
  poolSize?: number;
  workerOptions?: Partial<WorkerOptions>;
  log?: (line: string) => void;
}

let runtimeInstalled = false;

/**
 * The stack the integration tests run on, for one benchmark: a Temporal dev server through
 * createLocal with the cached CLI, a migrated database, and a real Warden worker (real
 * activities, the production workflows) on a task queue of its own.
 */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const base = loadConfig();
  const cli = await ensureTemporalCli(base.cacheDir, log);
  log('starting the Temporal dev server, the database and bundling the workflows');
  const [env, database, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        ip: '127.0.0.1',
        searchAttributes: [...wardenSearchAttributes],
        extraArgs: ['--headless', '--log-level', 'error'],
      },
    }),
    opts.database ?? startDefaultDatabase(),
    bundleWorkflowCode({
      workflowsPath,
      logger: { log: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, debug: () => undefined, trace: () => undefined },
    }),
  ]);
  const dataDir = await mkdtemp(join(tmpdir(), 'warden-bench-'));
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace ?? 'default',
    DATABASE_URL: database.url,
    WARDEN_PROVENANCE_KEY: randomBytes(32).toString('hex'),
    WARDEN_DATA_DIR: dataDir,
    ...opts.env,
  });
  const pool = createPool(database.url, opts.poolSize ?? 16);
  await migrate(pool);
  const ctx = await openContext({ config, pool, temporal: env.client, taskQueue: `bench-${randomBytes(4).toString('hex')}` });
  const { worker } = await createWardenWorker({
    pool,
    config,
    provenanceKey: ctx.provenanceKey,
    taskQueue: ctx.taskQueue,
    connection: env.nativeConnection,
    workflowBundle: { code: bundle.code },
    overrides: { shutdownGraceTime: '1s', ...opts.workerOptions },
  });
  const running = worker.run();
  log(`stack up: Temporal ${env.address}, ${database.label}`);
  return {
    ctx,
    env,
    database,
    worker,
    async stop() {
      worker.shutdown();
      await running.catch(() => undefined);
      await pool.end();
      await env.teardown();
      await database.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `work` on a fresh local stack and always takes the stack down again. */
export async function withLocalStack<T>(opts: LocalStackOptions, work: (stack: LocalStack) => Promise<T>): Promise<T> {
  const stack = await startLocalStack(opts);
  try {
    return await work(stack);
  } finally {
    await stack.stop();
  }
}
