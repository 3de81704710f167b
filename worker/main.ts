import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeApiServer } from '../api/close-server';
import { createApiServer } from '../api/server';
import { loadConfig } from '../config/env';
import { checkedProvenanceKey } from '../client/provenance-key-check';
import { exportSinkFor } from '../client/export-sink';
import { importExportFiles } from './export-file-import';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { migrate } from '../db/migrate';
import { migrateAbpIdentities } from './abp-identity-migration';
import { createPool } from '../db/pool';
import { DeferredWork } from '../client/deferred-work';
import type { WardenContext } from '../client/context';
import { seedDemoData } from '../demo/seed';
import { ensureProvenanceAnchor } from '../client/provenance-anchor';
import { createWardenWorker, workflowsPath } from './create-worker';
import { cachedWorkflowBundle } from './workflow-bundle-cache';
import { freePort } from '../toolchain/child-process';
import { stopWhenParentExits } from '../toolchain/parent-watch';
import { onFirstShutdownSignal } from '../toolchain/shutdown-signals';
import { ensureSearchAttributes } from '../client/search-attributes';
import { createLogger } from './logger';
import { retryUntilUp } from './retry-until-up';
import { roleFromArgs, runsApi, runsWorker } from './process-role';
import { createWorkerHealthServer } from './worker-health-server';

/**
 * A Warden application process: applies migrations, seeds the demo data on an empty database,
 * then runs its role until SIGINT/SIGTERM: `--role all` (the default, what `npm start` runs) the
 * Temporal worker and the HTTP API, `--role worker` the worker alone (with a /healthz of its own
 * on WARDEN_WORKER_HEALTH_PORT), `--role api` the HTTP API and dashboard alone.
 */
const projectRoot = fileURLToPath(new URL('..', import.meta.url));

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
}

/** Stops accepting connections and resolves once the requests in flight have been answered. */
function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  return closed;
}

async function main(): Promise<void> {
  const role = roleFromArgs(process.argv.slice(2));
  const config = loadConfig();
  const log = createLogger(config.logLevel, role === 'all' ? 'warden' : `warden ${role}`);
  // Requests answer their own errors (api/server.ts); anything still unhandled is logged, not
  // allowed to end the process that serves every loop.
  process.on('unhandledRejection', (reason) => {
    log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  const withWorker = runsWorker(role);
  const withApi = runsApi(role);
  // The SDK's worker metrics (task latencies, slots, poll results) come from its core on a port of
  // their own: WARDEN_SDK_METRICS_PORT when set, else a loopback port only /metrics reads.
  const sdkMetricsAddress = withWorker
    ? config.sdkMetricsPort !== undefined
      ? `${config.http.host}:${config.sdkMetricsPort}`
      : `127.0.0.1:${await freePort()}`
    : undefined;
  if (sdkMetricsAddress) {
    // The SDK logs every bundling step and worker state change at INFO; Warden's own log says what matters.
    Runtime.install({
      logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'WARN'),
      telemetryOptions: { metrics: { prometheus: { bindAddress: sdkMetricsAddress } } },
    });
  }
  const pool = createPool(config.databaseUrl, 20);
  const applied = await retryUntilUp('PostgreSQL', () => migrate(pool));
  if (applied.length > 0) log.info(`database migrations applied: ${applied.join(', ')}`);
  const { key: provenanceKey, fingerprint, registered } = await checkedProvenanceKey(config, pool);
  log.info(
    `provenance key ${fingerprint.slice(0, 16)}… ${registered ? 'recorded with the chain' : 'matches the chain'}`,
  );
  // Bundling (webpack on a first start, a digest of the sources after) runs while the exports, the
  // identity migration and the demo seed are done; it starts only once the key is accepted, so a
  // refused process stops at once (webpack holds the event loop for seconds at a time).
  // Awaited before the worker is created.
  const bundling = withWorker
    ? cachedWorkflowBundle({
        root: projectRoot,
        workflowsPath,
        cacheDir: join(config.dataDir, 'workflow-bundles'),
        log: (m) => log.warn(m),
      })
    : undefined;
  bundling?.catch(() => undefined);
  if (config.exportSink === 'postgres') {
    const moved = await importExportFiles({ pool, provenanceKey, exportDir: config.exportDir });
    if (moved.imported.length > 0) log.info(`export files imported into PostgreSQL: ${moved.imported.join(', ')}`);
    if (moved.missing.length > 0)
      log.warn(`exports with no document yet (re-stamped by the next build or review): ${moved.missing.join(', ')}`);
  }
  const reissued = await migrateAbpIdentities({ pool, provenanceKey, exportsOn: (q) => exportSinkFor(config, q) });
  for (const m of reissued.migrated)
    log.info(`ABP ${m.oldId} re-issued in the reference form as ${m.newId} (${m.exports.length} export(s) re-stamped)`);
  for (const s of reissued.skipped) log.warn(`ABP ${s.abpId} left as it is: ${s.reason}`);

  // A process that runs a worker gives its client the worker's NativeConnection: one connection to
  // Temporal per process.
  const connection = await retryUntilUp<NativeConnection | Connection>('Temporal', () =>
    withWorker
      ? NativeConnection.connect(temporalConnectionOptions(config.temporal))
      : Connection.connect(temporalConnectionOptions(config.temporal)),
  );
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const added = await ensureSearchAttributes(temporal, config.temporal.namespace);
  if (added.length > 0) log.info(`search attributes registered: ${added.join(', ')}`);

  const ctx: WardenContext = {
    config,
    pool,
    temporal,
    provenanceKey,
    taskQueue: config.temporal.taskQueue,
    deferred: new DeferredWork(),
    ...(sdkMetricsAddress ? { workerMetricsUrl: `http://${sdkMetricsAddress}/metrics` } : {}),
    close: async () => undefined,
  };
  const seeded = await seedDemoData(ctx);
  if (seeded.length > 0) log.info(`demo data created: ${seeded.join(', ')}`);

  let worker: Worker | undefined;
  let healthServer: Server | undefined;
  if (bundling) {
    const bundle = await bundling;
    log.info(
      bundle.source === 'cache'
        ? `workflow bundle reused: ${bundle.path}`
        : 'workflows bundled (reused on the next start while the sources stay the same)',
    );
    ({ worker } = await createWardenWorker({
      pool,
      config,
      provenanceKey,
      taskQueue: config.temporal.taskQueue,
      ...(connection instanceof NativeConnection ? { connection } : {}),
      workflowBundle: { code: bundle.code },
    }));
    const anchor = await ensureProvenanceAnchor(temporal, provenanceKey, config.temporal.taskQueue);
    log.info(`provenance head anchored by workflow ${anchor.workflowId}`);
    if (role === 'worker' && config.workerHealthPort !== undefined) {
      healthServer = createWorkerHealthServer(ctx, worker);
      await listen(healthServer, config.workerHealthPort, config.http.host);
      log.info(`worker health on http://${config.http.host}:${config.workerHealthPort}/healthz`);
    }
  }
  let api: Server | undefined;
  if (withApi) {
    api = createApiServer(ctx);
    await listen(api, config.http.port, config.http.host);
    log.info(`HTTP API listening on ${config.http.url}; dashboard at ${config.http.url}/`);
  }
  if (worker) {
    if (config.sdkMetricsPort !== undefined)
      log.info(`Temporal SDK metrics also on http://${sdkMetricsAddress}/metrics`);
    log.info(`worker polling task queue "${config.temporal.taskQueue}" in namespace "${config.temporal.namespace}"`);
  }

  // Drained once, whichever signals arrive and however often (Worker.shutdown throws when called
  // again while draining): the API stops taking requests and answers those in flight, the worker
  // finishes its running tasks (up to its shutdownGraceTime), then the connections close.
  let apiClosed: Promise<void> = Promise.resolve();
  let stopped!: () => void;
  const stopRequested = new Promise<void>((resolve) => (stopped = resolve));
  const shutdown = onFirstShutdownSignal(
    (reason) => {
      log.info(
        `${reason}: shutting down${worker ? ', draining the worker' : ''}${api ? ', answering the requests in flight' : ''}`,
      );
      if (api) apiClosed = closeApiServer(api, ctx);
      // The worker's /healthz stays up while it drains, answering 503, and closes after.
      worker?.shutdown();
      stopped();
    },
    (reason) => log.info(`${reason}: already shutting down`),
  );
  stopWhenParentExits(() => shutdown('parent exited'));
  if (worker) await worker.run();
  else await stopRequested;
  if (healthServer) await closeServer(healthServer);
  await apiClosed;
  await ctx.deferred.settle();
  await connection.close();
  await pool.end();
  log.info('stopped');
}

main().catch((error: unknown) => {
  console.error(`warden: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
