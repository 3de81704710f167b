import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { ensureSearchAttributes } from './search-attributes';
import { createLogger } from './logger';
import { retryUntilUp } from './retry-until-up';

/**
 * The Warden application process: applies migrations, seeds the demo data on an empty database,
 * then runs the Temporal worker and the HTTP API until SIGINT/SIGTERM.
 */
const projectRoot = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'warden');
  // Requests answer their own errors (api/server.ts); anything still unhandled is logged, not
  // allowed to end the process that serves every loop.
  process.on('unhandledRejection', (reason) => {
    log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  // The SDK's worker metrics (task latencies, slots, poll results) come from its core on a port of
  // their own: WARDEN_SDK_METRICS_PORT when set, else a loopback port only /metrics reads.
  const sdkMetricsAddress = config.sdkMetricsPort !== undefined ? `${config.http.host}:${config.sdkMetricsPort}` : `127.0.0.1:${await freePort()}`;
  // The SDK logs every bundling step and worker state change at INFO; Warden's own log says what matters.
  Runtime.install({
    logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'WARN'),
    telemetryOptions: { metrics: { prometheus: { bindAddress: sdkMetricsAddress } } },
  });
  const pool = createPool(config.databaseUrl, 20);
  const applied = await retryUntilUp('PostgreSQL', () => migrate(pool));
  if (applied.length > 0) log.info(`database migrations applied: ${applied.join(', ')}`);
  const { key: provenanceKey, fingerprint, registered } = await checkedProvenanceKey(config, pool);
  log.info(`provenance key ${fingerprint.slice(0, 16)}… ${registered ? 'recorded with the chain' : 'matches the chain'}`);
  // Bundling (webpack on a first start, a digest of the sources after) runs while the exports, the
  // identity migration and the demo seed are done; it starts only once the key is accepted, so a
  // refused process stops at once (webpack holds the event loop for seconds at a time).
  // Awaited before the worker is created.
  const bundling = cachedWorkflowBundle({ root: projectRoot, workflowsPath, cacheDir: join(config.dataDir, 'workflow-bundles'), log: (m) => log.warn(m) });
  bundling.catch(() => undefined);
  if (config.exportSink === 'postgres') {
    const moved = await importExportFiles({ pool, provenanceKey, exportDir: config.exportDir });
    if (moved.imported.length > 0) log.info(`export files imported into PostgreSQL: ${moved.imported.join(', ')}`);
    if (moved.missing.length > 0) log.warn(`exports with no document yet (re-stamped by the next build or review): ${moved.missing.join(', ')}`);
  }
  const reissued = await migrateAbpIdentities({ pool, provenanceKey, exportsOn: (q) => exportSinkFor(config, q) });
  for (const m of reissued.migrated) log.info(`ABP ${m.oldId} re-issued in the reference form as ${m.newId} (${m.exports.length} export(s) re-stamped)`);
  for (const s of reissued.skipped) log.warn(`ABP ${s.abpId} left as it is: ${s.reason}`);

  const connection = await retryUntilUp('Temporal', () => Connection.connect(temporalConnectionOptions(config.temporal)));
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
    workerMetricsUrl: `http://${sdkMetricsAddress}/metrics`,
    close: async () => undefined,
  };
  const seeded = await seedDemoData(ctx);
  if (seeded.length > 0) log.info(`demo data created: ${seeded.join(', ')}`);

  const bundle = await bundling;
  log.info(bundle.source === 'cache' ? `workflow bundle reused: ${bundle.path}` : 'workflows bundled (reused on the next start while the sources stay the same)');
  const { worker, connection: workerConnection } = await createWardenWorker({
    pool,
    config,
    provenanceKey,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: { code: bundle.code },
  });
  const anchor = await ensureProvenanceAnchor(temporal, provenanceKey, config.temporal.taskQueue);
  log.info(`provenance head anchored by workflow ${anchor.workflowId}`);
  const api: Server = createApiServer(ctx);
  await new Promise<void>((resolve, reject) => {
    api.once('error', reject);
    api.listen(config.http.port, config.http.host, resolve);
  });
  log.info(`HTTP API listening on ${config.http.url}; dashboard at ${config.http.url}/`);
  if (config.sdkMetricsPort !== undefined) log.info(`Temporal SDK metrics also on http://${sdkMetricsAddress}/metrics`);
  log.info(`worker polling task queue "${config.temporal.taskQueue}" in namespace "${config.temporal.namespace}"`);

  // Drained once, whichever signals arrive and however often (Worker.shutdown throws when called
  // again while draining).
  const shutdown = onFirstShutdownSignal(
    (reason) => {
      log.info(`${reason}: shutting down, draining the worker`);
      api.close();
      api.closeIdleConnections();
      worker.shutdown();
    },
    (reason) => log.info(`${reason}: already shutting down`),
  );
  stopWhenParentExits(() => shutdown('parent exited'));
  await worker.run();
  await workerConnection.close();
  await connection.close();
  await pool.end();
  log.info('stopped');
}

main().catch((error: unknown) => {
  console.error(`warden: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
