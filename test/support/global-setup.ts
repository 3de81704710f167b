import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../config/env';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { createScratchDatabase } from '../../db/scratch-database';
import { wardenSearchAttributes } from '../../domain/search-attributes';
import { ensureTemporalCliShowingProgress } from '../../cli/temporal-cli-progress';
import { DEV_SERVER_CACHES_SEARCH_ATTRIBUTES } from '../../start/temporal-dev-server';
import { freePort } from '../../toolchain/child-process';
import { startMigratedPostgres } from './migrated-postgres';
import { testWorkflowBundlePath } from './workflow-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    databaseUrl: string;
    workflowBundlePath: string;
    provenanceKey: string;
    scratchDir: string;
    /** The dev server's Web UI (browser project only; empty elsewhere). */
    temporalUiUrl: string;
  }
}

/**
 * Integration tests share one real Temporal dev server (started through createLocal with the
 * cached CLI), one scratch database, and the workflow bundle (built once per set of sources, see
 * workflow-bundle.ts).
 */
export default async function setup(project: TestProject) {
  const config = loadConfig();
  const scratchDir = await mkdtemp(join(tmpdir(), 'warden-test-'));
  const cli = await ensureTemporalCliShowingProgress(config.cacheDir, '[toolchain]');
  // The browser tests open the Temporal Web UI; every other project runs the server headless.
  const uiPort = project.name === 'browser' ? await freePort() : undefined;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(uiPort ? { ui: true, uiPort } : {}),
      executable: { type: 'existing-path', path: cli },
      ip: '127.0.0.1',
      searchAttributes: [...wardenSearchAttributes],
      extraArgs: [...(uiPort ? [] : ['--headless']), '--log-level', 'error', ...DEV_SERVER_CACHES_SEARCH_ATTRIBUTES],
    },
  });

  let database: { url: string; stop(): Promise<void> };
  if (config.externalDatabaseUrl) {
    const scratch = await createScratchDatabase(config.externalDatabaseUrl, 'warden_test');
    database = { url: scratch.url, stop: scratch.drop };
  } else {
    const embedded = await startMigratedPostgres();
    database = { url: embedded.url, stop: embedded.stop };
  }
  const pool = createPool(database.url, 2);
  await migrate(pool);
  await pool.end();

  const workflowBundlePath = await testWorkflowBundlePath();

  project.provide('temporalAddress', env.address);
  project.provide('temporalNamespace', env.namespace ?? 'default');
  project.provide('databaseUrl', database.url);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('provenanceKey', randomBytes(32).toString('hex'));
  project.provide('scratchDir', scratchDir);
  project.provide('temporalUiUrl', uiPort ? `http://127.0.0.1:${uiPort}` : '');

  return async () => {
    await env.teardown();
    await database.stop();
    await rm(scratchDir, { recursive: true, force: true });
  };
}
