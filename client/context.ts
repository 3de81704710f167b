import { createRequire } from 'node:module';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { type WardenConfig, loadConfig } from '../config/env';
import { resolveProvenanceKey } from '../config/provenance-key';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { createPool } from '../db/pool';
import { DeferredWork } from './deferred-work';

/** What every entry point (CLI, HTTP API, TypeScript client) works with. */
export interface WardenContext {
  config: WardenConfig;
  pool: pg.Pool;
  temporal: Client;
  provenanceKey: string;
  /** Task queue new workflows are started on (tests run their own). */
  taskQueue: string;
  /** Signals and the like sent without waiting; settled by close(). */
  deferred: DeferredWork;
  /** The Temporal SDK's Prometheus endpoint of the worker in this process, if it runs one. */
  workerMetricsUrl?: string;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

export interface OpenContextOptions {
  config?: WardenConfig;
  pool?: pg.Pool;
  temporal?: Client;
  taskQueue?: string;
  /** False for the CLI: refuse (NoStackError) rather than generate a provenance key of its own. */
  createProvenanceKey?: boolean;
}

export async function openContext(opts: OpenContextOptions = {}): Promise<WardenContext> {
  const config = opts.config ?? loadConfig();
  const provenanceKey = await resolveProvenanceKey(config, { create: opts.createProvenanceKey ?? true });
  const ownPool = !opts.pool;
  const pool = opts.pool ?? createPool(config.databaseUrl, 5);
  let connection: Connection | undefined;
  let temporal = opts.temporal;
  // Created on first use, and the SDK loaded only then (a large module tree): a command that
  // only touches the database neither loads it nor needs Temporal to be up.
  const temporalClient = (): Client => {
    if (!temporal) {
      const sdk = require('@temporalio/client') as typeof import('@temporalio/client');
      connection = sdk.Connection.lazy({ ...temporalConnectionOptions(config.temporal), connectTimeout: '5s' });
      temporal = new sdk.Client({ connection, namespace: config.temporal.namespace });
    }
    return temporal;
  };
  const deferred = new DeferredWork();
  return {
    config,
    pool,
    get temporal() {
      return temporalClient();
    },
    provenanceKey,
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    deferred,
    async close() {
      await deferred.settle();
      await connection?.close();
      if (ownPool) await pool.end();
    },
  };
}
