import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTemporalCliShowingProgress } from '../cli/temporal-cli-progress';
import { ConfigError, loadConfig } from '../config/env';
import { ToolchainError } from '../toolchain/toolchain-error';
import {
  type ManagedChild,
  killChild,
  portOpen,
  spawnManaged,
  stopChild,
  waitForPort,
} from '../toolchain/child-process';
import { onFirstShutdownSignal } from '../toolchain/shutdown-signals';
import { devServerArgs } from './temporal-dev-server';

const runner = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const STOP_ORDER = ['warden', 'postgres', 'temporal'];
const ownGroup = { ownProcessGroup: true };
/**
 * How long a child may take to open its port. A child that dies is reported at once (the wait
 * watches it), so this only bounds a slow start: generous, because two cores shared with a test
 * suite took over a minute to bring up the embedded PostgreSQL.
 */
const CHILD_UP_MS = 180_000;

/**
 * `npm start`: brings the whole stack up on the embedded defaults (Temporal dev server, embedded
 * PostgreSQL, the Warden worker and HTTP API) or on whatever TEMPORAL_ADDRESS / DATABASE_URL name,
 * and stops every child cleanly on Ctrl-C / SIGTERM.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  await mkdir(config.dataDir, { recursive: true });
  const children: ManagedChild[] = [];
  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log('warden: stopping…');
    // The app drains first, while the database and Temporal it uses are still there; Temporal,
    // which the drain reports to, goes last.
    for (const child of [...children].sort((a, b) => STOP_ORDER.indexOf(a.name) - STOP_ORDER.indexOf(b.name))) {
      await stopChild(child, child.name === 'warden' ? 20_000 : 10_000);
      console.log(`warden: ${child.name} stopped`);
    }
    process.exit(code);
  };
  // The children run in process groups of their own (ownGroup), so Ctrl-C reaches this
  // process alone and the children stop one at a time, in order, each signalled once.
  onFirstShutdownSignal(
    () => void shutdown(0),
    (signal) => console.log(`warden: ${signal} again: still stopping (the children are stopped in order)`),
  );
  // Should this process end any other way, no child is left running on its own (nor what it runs).
  process.on('exit', () => {
    for (const child of children)
      if (child.process.exitCode === null && child.process.signalCode === null) killChild(child);
  });
  const watch = (child: ManagedChild) => {
    children.push(child);
    void child.exited.then((code) => {
      if (!shuttingDown) {
        console.error(`warden: ${child.name} exited unexpectedly (code ${code}); stopping the rest`);
        void shutdown(1);
      }
    });
  };

  try {
    // The dev server and the database do not depend on each other: they start side by side.
    const ready: Promise<void>[] = [];
    const awaitLater = (p: Promise<void>) => {
      // Observed by Promise.all below; until then (a first Temporal CLI build takes minutes) a
      // failure must not count as unhandled.
      p.catch(() => undefined);
      ready.push(p);
    };
    if (!config.temporal.externalAddress) {
      const port = config.temporal.devServer.port;
      if (await portOpen(port))
        throw new Error(
          `port ${port} is already in use: is Warden already running? (set TEMPORAL_PORT to use another)`,
        );
    }
    if (!config.externalDatabaseUrl && (await portOpen(config.embeddedPgPort))) {
      throw new Error(`port ${config.embeddedPgPort} is already in use (set WARDEN_PG_PORT to use another)`);
    }
    if (!config.externalDatabaseUrl) {
      const pg = spawnManaged(
        'postgres',
        process.execPath,
        [
          runner,
          'start/embedded-postgres-main.ts',
          '--data',
          join(config.dataDir, 'pgdata'),
          '--port',
          String(config.embeddedPgPort),
        ],
        process.env,
        ownGroup,
      );
      watch(pg);
      awaitLater(waitForPort(config.embeddedPgPort, CHILD_UP_MS, pg));
    }
    if (!config.temporal.externalAddress) {
      const cli = await ensureTemporalCliShowingProgress(config.cacheDir, 'warden:');
      // Through the tether: the dev server cannot watch its parent, and would otherwise outlive a
      // `npm start` killed outright, holding its port.
      const temporal = spawnManaged(
        'temporal',
        process.execPath,
        [runner, 'start/tethered-main.ts', cli, ...devServerArgs(config)],
        process.env,
        ownGroup,
      );
      watch(temporal);
      awaitLater(waitForPort(config.temporal.devServer.port, CHILD_UP_MS, temporal));
    }
    // The application starts alongside them: it loads its modules and checks its workflow bundle
    // while they come up, and waits for them before it migrates and connects (retryUntilUp).
    const app = spawnManaged('warden', process.execPath, [runner, 'worker/main.ts'], process.env, ownGroup);
    watch(app);
    await Promise.all(ready);
    await waitForPort(config.http.port, 120_000, app);
  } catch (error) {
    console.error(`warden: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
    return;
  }

  console.log(
    [
      '',
      'Warden is up.',
      `  HTTP API        ${config.http.url}  (health: ${config.http.url}/healthz)`,
      `  Dashboard       ${config.http.url}/  (sign in with a token: npx warden token create --principal <name> --as <admin>)`,
      `  Temporal UI     ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`,
      `  Temporal gRPC   ${config.temporal.address}`,
      `  PostgreSQL      ${config.externalDatabaseUrl ? '(external DATABASE_URL)' : config.databaseUrl}`,
      `  Data directory  ${config.dataDir}`,
      'Try: npx warden status   ·   Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof ToolchainError) console.error(error.message);
  else console.error(`warden: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
