import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureTemporalClusterBinaries, type TemporalClusterBinaries } from '../toolchain/temporal-cluster-build';
import { freePortRange, type ManagedChild, spawnManaged, stopChild, waitForPort } from '../toolchain/child-process';
import { ensureSearchAttributes } from '../client/search-attributes';
import { externalPostgres, ownPostgres, type ClusterPostgres } from './cluster-postgres';
import { writeTemporalServerConfig, writeUiServerConfig } from './temporal-cluster-config';
import { createDatabase, dropDatabase, setUpTemporalSchemas } from './temporal-cluster-schema';

/**
 * A Warden fleet on a real Temporal cluster: PostgreSQL (the fleet's own, or DATABASE_URL's
 * server), the Temporal server (all four services, SQL visibility) and its Web UI server, then N
 * worker processes and M API processes. Used by `npm run cluster`, the fleet tests and the bench.
 */
const runner = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const ownGroup = { ownProcessGroup: true };

export interface FleetOptions {
  workers: number;
  apis: number;
  /** Where PostgreSQL (when the fleet runs its own), configs, logs and the provenance key live. */
  dataDir: string;
  cacheDir: string;
  /** A server to put the databases on instead of a PostgreSQL of the fleet's own. */
  databaseUrl?: string;
  /** Prefix of the databases the fleet creates (`<prefix>_temporal`, `_visibility`, `_warden`). */
  databasePrefix: string;
  namespace: string;
  temporalPort: number;
  uiPort: number;
  /** First API port; API i listens on apiPort + i. */
  apiPort: number;
  /** First worker health port; worker i answers /healthz on workerHealthPort + i. */
  workerHealthPort: number;
  /** Port of the fleet's own PostgreSQL. */
  pgPort: number;
  /** false: fsync off, for throwaway test clusters. */
  durable: boolean;
  /** Extra environment for the Warden processes. */
  env?: Record<string, string>;
  log: (line: string) => void;
}

export interface FleetProcess {
  role: 'worker' | 'api';
  index: number;
  name: string;
  /** Its /healthz. */
  healthUrl: string;
  child: ManagedChild;
}

export interface Fleet {
  temporalAddress: string;
  uiUrl: string;
  namespace: string;
  /** Warden's database. */
  databaseUrl: string;
  provenanceKey: string;
  apiUrls: string[];
  workers: FleetProcess[];
  apis: FleetProcess[];
  /** The environment a Warden process (or CLI call) of this fleet runs with. */
  wardenEnv: NodeJS.ProcessEnv;
  /** Kills worker `index` at once (SIGKILL: no drain), as a crash or an OOM kill would. */
  killWorker(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts worker `index` again (after it died or was killed) and waits until it is healthy. */
  restartWorker(index: number): Promise<FleetProcess>;
  /** Adds worker processes up to `count` in all. */
  scaleWorkers(count: number): Promise<void>;
  /** Stops every process in reverse order of start; `dropDatabases` removes what it created on DATABASE_URL's server. */
  stop(opts?: { dropDatabases?: boolean }): Promise<void>;
  /** Resolves when a process the fleet did not stop exits (its name and code). */
  unexpectedExit: Promise<{ name: string; code: number | null }>;
}

async function waitHealthy(url: string, child: ManagedChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null)
      throw new Error(`${child.name} exited (code ${child.process.exitCode}) before it was healthy`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`${child.name} was not healthy at ${url} within ${timeoutMs / 1000} s (${last})`);
}

/** The fleet's provenance key: generated once into the data dir, then given to every process. */
async function fleetProvenanceKey(dataDir: string): Promise<string> {
  const path = join(dataDir, 'provenance.key');
  const existing = await readFile(path, 'utf8').catch(() => '');
  if (/^[0-9a-f]{64,}$/.test(existing.trim())) return existing.trim();
  const key = randomBytes(32).toString('hex');
  await writeFile(path, key, { mode: 0o600 });
  return key;
}

/** Registers the namespace (if new) and Warden's search attributes, retrying while the frontend comes up. */
async function prepareNamespace(address: string, namespace: string, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 120_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '5s' });
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs('3 days'),
        });
        log(`namespace ${namespace} registered (retention 3 days)`);
      } catch (e) {
        if ((e as { code?: number }).code !== 6) throw e; // ALREADY_EXISTS
      }
      await connection.workflowService.describeNamespace({ namespace });
      const added = await ensureSearchAttributes(new Client({ connection, namespace }), namespace);
      if (added.length > 0) log(`search attributes registered: ${added.join(', ')}`);
      return;
    } catch (e) {
      lastError = e;
      await sleep(1000);
    } finally {
      await connection?.close();
    }
  }
  throw new Error(`could not prepare namespace ${namespace}: ${(lastError as Error)?.message}`);
}

async function serverPorts(frontend: number) {
  const taken = new Set([frontend]);
  const next = () => freePortRange(1, taken);
  return {
    frontend,
    frontendHttp: await next(),
    history: await next(),
    matching: await next(),
    worker: await next(),
    membership: { frontend: await next(), history: await next(), matching: await next(), worker: await next() },
  };
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const { log } = opts;
  await mkdir(opts.dataDir, { recursive: true });
  const children: ManagedChild[] = [];
  const stopping = { value: false };
  const killedOnPurpose = new Set<ManagedChild>();
  let reportExit!: (e: { name: string; code: number | null }) => void;
  const unexpectedExit = new Promise<{ name: string; code: number | null }>((resolve) => (reportExit = resolve));
  const watch = (child: ManagedChild) => {
    children.push(child);
    void child.exited.then((code) => {
      const i = children.indexOf(child);
      if (i >= 0) children.splice(i, 1);
      if (!stopping.value && !killedOnPurpose.has(child)) reportExit({ name: child.name, code });
    });
    return child;
  };
  let pg: ClusterPostgres | undefined;
  let binaries: TemporalClusterBinaries | undefined;
  const databases = {
    temporal: `${opts.databasePrefix}_temporal`,
    visibility: `${opts.databasePrefix}_visibility`,
    warden: `${opts.databasePrefix}_warden`,
  };
  const stop = async (stopOpts: { dropDatabases?: boolean } = {}) => {
    stopping.value = true;
    // Reverse order of start: the API processes and workers drain while Temporal and the database
    // are still there, then the UI, the server, and the database last.
    for (const child of [...children].reverse()) {
      await stopChild(child, child.name.startsWith('warden') ? 20_000 : 10_000);
      log(`${child.name} stopped`);
    }
    if (stopOpts.dropDatabases && pg && binaries && opts.databaseUrl) {
      for (const db of Object.values(databases)) await dropDatabase(binaries.sqlTool, pg, db);
    }
    await pg?.stop();
    if (pg && !opts.databaseUrl) log('PostgreSQL stopped');
  };
  try {
    binaries = await ensureTemporalClusterBinaries(opts.cacheDir, log);
    pg = opts.databaseUrl
      ? externalPostgres(opts.databaseUrl)
      : await ownPostgres(join(opts.dataDir, 'pgdata'), opts.pgPort, { durable: opts.durable });
    log(`PostgreSQL on ${pg.host}:${pg.port}${opts.databaseUrl ? ' (DATABASE_URL)' : " (the fleet's own)"}`);
    await setUpTemporalSchemas(binaries.sqlTool, binaries.schemaDir, pg, databases);
    await createDatabase(binaries.sqlTool, pg, databases.warden);
    log(
      `schemas ready: ${databases.temporal}, ${databases.visibility} (SQL visibility); Warden's database ${databases.warden}`,
    );

    const serverRoot = join(opts.dataDir, 'temporal');
    await writeTemporalServerConfig(serverRoot, pg, databases, await serverPorts(opts.temporalPort));
    const server = watch(
      spawnManaged(
        'temporal-server',
        binaries.server,
        ['--root', serverRoot, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'],
        process.env,
        ownGroup,
      ),
    );
    await waitForPort(opts.temporalPort, 120_000, server);
    const temporalAddress = `127.0.0.1:${opts.temporalPort}`;
    await prepareNamespace(temporalAddress, opts.namespace, log);

    const uiRoot = join(opts.dataDir, 'ui');
    await writeUiServerConfig(uiRoot, { temporalAddress, port: opts.uiPort, namespace: opts.namespace });
    const ui = watch(
      spawnManaged(
        'temporal-ui',
        binaries.uiServer,
        ['--root', uiRoot, '--config', 'config', '--env', 'cluster', 'start'],
        process.env,
        ownGroup,
      ),
    );
    await waitForPort(opts.uiPort, 60_000, ui);
    const uiUrl = `http://127.0.0.1:${opts.uiPort}`;

    const provenanceKey = await fleetProvenanceKey(opts.dataDir);
    const databaseUrl = pg.urlOf(databases.warden);
    const wardenEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: opts.namespace,
      TEMPORAL_UI_URL: uiUrl,
      DATABASE_URL: databaseUrl,
      WARDEN_PROVENANCE_KEY: provenanceKey,
      WARDEN_DATA_DIR: join(opts.dataDir, 'warden'),
      ...opts.env,
    };
    const workers: FleetProcess[] = [];
    const apis: FleetProcess[] = [];
    const launch = async (role: 'worker' | 'api', index: number): Promise<FleetProcess> => {
      const name = `warden-${role}-${index + 1}`;
      const port = role === 'api' ? opts.apiPort + index : opts.workerHealthPort + index;
      const env = {
        ...wardenEnv,
        ...(role === 'api' ? { WARDEN_HTTP_PORT: String(port) } : { WARDEN_WORKER_HEALTH_PORT: String(port) }),
      };
      const child = watch(
        spawnManaged(name, process.execPath, [runner, 'worker/main.ts', '--role', role], env, ownGroup),
      );
      const proc: FleetProcess = { role, index, name, healthUrl: `http://127.0.0.1:${port}/healthz`, child };
      await waitHealthy(proc.healthUrl, child, 300_000);
      return proc;
    };
    // The first worker alone: it migrates, seeds the demo data, compiles dist/ and bundles the
    // workflows once; the others then start on what it left and come up side by side.
    workers.push(await launch('worker', 0));
    const rest = await Promise.all([
      ...Array.from({ length: opts.workers - 1 }, (_, i) => launch('worker', i + 1)),
      ...Array.from({ length: opts.apis }, (_, i) => launch('api', i)),
    ]);
    for (const p of rest) (p.role === 'worker' ? workers : apis).push(p);
    workers.sort((a, b) => a.index - b.index);
    apis.sort((a, b) => a.index - b.index);
    return {
      temporalAddress,
      uiUrl,
      namespace: opts.namespace,
      databaseUrl,
      provenanceKey,
      apiUrls: apis.map((a) => `http://127.0.0.1:${opts.apiPort + a.index}`),
      workers,
      apis,
      wardenEnv,
      async killWorker(index, signal = 'SIGKILL') {
        const proc = workers[index];
        if (!proc) throw new Error(`no worker ${index}`);
        killedOnPurpose.add(proc.child);
        proc.child.process.kill(signal);
        await proc.child.exited;
      },
      async restartWorker(index) {
        const old = workers[index];
        if (old && old.child.process.exitCode === null && old.child.process.signalCode === null)
          throw new Error(`${old.name} is still running`);
        const proc = await launch('worker', index);
        workers[index] = proc;
        return proc;
      },
      async scaleWorkers(count) {
        const added = await Promise.all(
          Array.from({ length: Math.max(0, count - workers.length) }, (_, i) => launch('worker', workers.length + i)),
        );
        workers.push(...added);
      },
      stop,
      unexpectedExit,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
