import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/env';
import { ToolchainError } from '../toolchain/toolchain-error';
import { onFirstShutdownSignal } from '../toolchain/shutdown-signals';
import { startFleet, type Fleet } from './fleet';

/**
 * `npm run cluster [-- --workers N --apis M]`: a Warden fleet on a real Temporal cluster (see
 * start/fleet.ts), up until Ctrl-C or SIGTERM, which stops everything in reverse order.
 */
const usage = 'usage: npm run cluster -- [--workers N] [--apis M] [--worker-health-port P]';

function count(value: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}\n${usage}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { workers: { type: 'string' }, apis: { type: 'string' }, 'worker-health-port': { type: 'string' } },
    strict: true,
  });
  const config = loadConfig();
  const workers = count(values.workers, 1, 'workers', 1, 32);
  const apis = count(values.apis, 1, 'apis', 1, 32);
  const workerHealthPort = count(values['worker-health-port'], 8887, 'worker-health-port', 1024, 65535);
  if (config.temporal.externalAddress)
    throw new Error('npm run cluster runs a Temporal cluster of its own: unset TEMPORAL_ADDRESS');
  const log = (line: string) => console.log(`cluster: ${line}`);
  // Not const: the stop handler is installed before the fleet exists and must see it undefined then.
  // eslint-disable-next-line prefer-const
  let fleet: Fleet | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    await fleet?.stop();
    process.exit(code);
  };
  onFirstShutdownSignal(
    () => void stop(0),
    (signal) => log(`${signal} again: still stopping (in reverse order of start)`),
  );
  fleet = await startFleet({
    workers,
    apis,
    dataDir: join(config.dataDir, 'cluster'),
    cacheDir: config.cacheDir,
    ...(config.externalDatabaseUrl ? { databaseUrl: config.externalDatabaseUrl } : {}),
    databasePrefix: 'warden_cluster',
    namespace: config.temporal.namespace,
    temporalPort: config.temporal.devServer.port,
    uiPort: config.temporal.devServer.uiPort,
    apiPort: config.http.port,
    workerHealthPort,
    pgPort: config.embeddedPgPort,
    durable: true,
    log,
  });
  void fleet.unexpectedExit.then(({ name, code }) => {
    console.error(`cluster: ${name} exited unexpectedly (code ${code}); stopping the rest`);
    void stop(1);
  });
  const redacted = fleet.databaseUrl.replace(/:[^:@/]+@/, ':***@');
  console.log(
    [
      '',
      `Warden fleet is up on a Temporal ${'cluster'}: ${workers} worker(s), ${apis} API process(es).`,
      `  Temporal gRPC   ${fleet.temporalAddress}  (namespace ${fleet.namespace})`,
      `  Temporal UI     ${fleet.uiUrl}/namespaces/${fleet.namespace}/workflows`,
      `  PostgreSQL      ${redacted}`,
      ...fleet.apis.map(
        (a, i) => `  API ${String(i + 1).padEnd(11)} ${fleet!.apiUrls[i]}  (dashboard /, health ${a.healthUrl})`,
      ),
      ...fleet.workers.map(
        (w, i) => `  worker ${String(i + 1).padEnd(8)} pid ${w.child.process.pid}  (health ${w.healthUrl})`,
      ),
      `  Data directory  ${join(config.dataDir, 'cluster')}`,
      `CLI against it:  TEMPORAL_ADDRESS=${fleet.temporalAddress} DATABASE_URL=${redacted} WARDEN_API_URL=${fleet.apiUrls[0]} npx warden status`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof ToolchainError) console.error(error.message);
  else console.error(`cluster: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
