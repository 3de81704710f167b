import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker, type WorkerOptions } from '@temporalio/worker';
import { openContext, type WardenContext } from '../../client/context';
import { loadConfig, type WardenConfig } from '../../config/env';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { wardenSearchAttributes } from '../../domain/search-attributes';
import { spawnManaged, stopChild, waitForLine } from '../../toolchain/child-process';
import { DEV_SERVER_CACHES_SEARCH_ATTRIBUTES } from '../../start/temporal-dev-server';
import { ensureTemporalCli } from '../../toolchain/temporal-cli';
import { createWardenWorker, workflowsPath } from '../../worker/create-worker';
import { cachedWorkflowBundle } from '../../worker/workflow-bundle-cache';
import { startDefaultDatabase, type BenchDatabase } from './database';

const runner = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface LocalStack {
  ctx: WardenContext;
  env: TestWorkflowEnvironment;
  database: BenchDatabase;
  /** The in-process worker; undefined when it runs in a child process. */
  worker: Worker | undefined;
  /** The bundle the worker runs (the production workflows), for more workers on the same code. */
  workflowBundle: { code: string };
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Default: DATABASE_URL's server when set, else embedded PGlite in a child process. */
  database?: BenchDatabase;
  /** Extra environment for the configuration (e.g. WARDEN_MODEL_BASE_URL). */
  env?: Record<string, string>;
  poolSize?: number;
  workerOptions?: Partial<WorkerOptions>;
  /**
   * Run the worker in a child process (bench/stack/worker-main.ts), as production does, so that
   * what the benchmark measures on its own event loop never waits behind the worker's activities.
   */
  workerInChildProcess?: boolean;
  log?: (line: string) => void;
  /** The dev server's Prometheus endpoint on this port (default: one the CLI picks and only prints). */
  temporalMetricsPort?: number;
  /** More `temporal server start-dev` arguments (e.g. `--dynamic-config-value`), for measuring them. */
  temporalExtraArgs?: string[];
  /** The SDK's log level (default WARN); the process's first stack sets it. */
  logLevel?: 'WARN' | 'ERROR';
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
    Runtime.install({ logger: new DefaultLogger(opts.logLevel ?? 'WARN') });
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
        extraArgs: [
          '--headless',
          '--log-level',
          'error',
          ...(opts.temporalMetricsPort ? ['--metrics-port', String(opts.temporalMetricsPort)] : []),
          // As `npm start` runs it; a later `--dynamic-config-value` of the same key wins (measuring).
          ...DEV_SERVER_CACHES_SEARCH_ATTRIBUTES,
          ...(opts.temporalExtraArgs ?? []),
        ],
      },
    }),
    opts.database ?? startDefaultDatabase(),
    // Built once per set of sources, as `npm start` does: each benchmark's stack reuses it.
    cachedWorkflowBundle({
      root: projectRoot,
      workflowsPath,
      cacheDir: join(base.cacheDir, 'bench-workflow-bundles'),
      log,
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
  const ctx = await openContext({
    config,
    pool,
    temporal: env.client,
    taskQueue: `bench-${randomBytes(4).toString('hex')}`,
  });
  const worker = opts.workerInChildProcess
    ? await startWorkerProcess(config, ctx, bundle.code, dataDir, opts.env ?? {})
    : await startWorkerHere(pool, config, ctx, bundle.code, env, opts.workerOptions);
  log(`stack up: Temporal ${env.address}, ${database.label}`);
  return {
    ctx,
    env,
    database,
    worker: worker.inProcess,
    workflowBundle: { code: bundle.code },
    async stop() {
      await ctx.deferred.settle();
      await worker.stop();
      await pool.end();
      await env.teardown();
      await database.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface RunningWorker {
  inProcess: Worker | undefined;
  stop(): Promise<void>;
}

async function startWorkerHere(
  pool: pg.Pool,
  config: WardenConfig,
  ctx: WardenContext,
  code: string,
  env: TestWorkflowEnvironment,
  overrides: Partial<WorkerOptions> | undefined,
): Promise<RunningWorker> {
  const { worker } = await createWardenWorker({
    pool,
    config,
    provenanceKey: ctx.provenanceKey,
    taskQueue: ctx.taskQueue,
    connection: env.nativeConnection,
    workflowBundle: { code },
    overrides: { shutdownGraceTime: '1s', ...overrides },
  });
  const running = worker.run();
  return {
    inProcess: worker,
    async stop() {
      worker.shutdown();
      await running.catch(() => undefined);
    },
  };
}

async function startWorkerProcess(
  config: WardenConfig,
  ctx: WardenContext,
  code: string,
  dataDir: string,
  extraEnv: Record<string, string>,
): Promise<RunningWorker> {
  const bundlePath = join(dataDir, 'workflow-bundle.js');
  await writeFile(bundlePath, code);
  const child = spawnManaged(
    'worker',
    process.execPath,
    [runner, 'bench/stack/worker-main.ts', '--bundle', bundlePath],
    {
      ...process.env,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: ctx.taskQueue,
      DATABASE_URL: config.databaseUrl,
      WARDEN_PROVENANCE_KEY: ctx.provenanceKey,
      WARDEN_DATA_DIR: dataDir,
      ...extraEnv,
    },
  );
  await waitForLine(child, /^ready /, 120_000);
  return { inProcess: undefined, stop: () => stopChild(child, 10_000) };
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
