import { Client, Connection } from '@temporalio/client';
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

export async function openContext(opts: { config?: WardenConfig; pool?: pg.Pool; temporal?: Client; taskQueue?: string } = {}): Promise<WardenContext> {
  const config = opts.config ?? loadConfig();
  const ownPool = !opts.pool;
  const pool = opts.pool ?? createPool(config.databaseUrl, 5);
  let connection: Connection | undefined;
  let temporal = opts.temporal;
  if (!temporal) {
    // Lazy: commands that only touch the database keep working while Temporal is down.
    connection = Connection.lazy({ ...temporalConnectionOptions(config.temporal), connectTimeout: '5s' });
    temporal = new Client({ connection, namespace: config.temporal.namespace });
  }
  const deferred = new DeferredWork();
  return {
    config,
    pool,
    temporal,
    provenanceKey: await resolveProvenanceKey(config),
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    deferred,
    async close() {
      await deferred.settle();
      await connection?.close();
      if (ownPool) await pool.end();
    },
  };
}
