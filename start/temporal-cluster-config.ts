import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ClusterPostgres } from './cluster-postgres';

export interface TemporalClusterPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: { frontend: number; history: number; matching: number; worker: number };
}

function datastore(pg: ClusterPostgres, databaseName: string, maxConns: number): Record<string, unknown> {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password ?? '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

/**
 * The Temporal server's configuration, modelled on config/development-postgres12.yaml of the
 * server module: all four services in one process on loopback, PostgreSQL for persistence and
 * SQL visibility, no archival. Written as `<root>/config/cluster.yaml` (started with `--env
 * cluster`), with a dynamic config file beside it.
 */
export async function writeTemporalServerConfig(
  root: string,
  pg: ClusterPostgres,
  databases: { temporal: string; visibility: string },
  ports: TemporalClusterPorts,
): Promise<void> {
  const configDir = join(root, 'config');
  await mkdir(configDir, { recursive: true });
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: {
        'postgres-default': datastore(pg, databases.temporal, 20),
        'postgres-visibility': datastore(pg, databases.visibility, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, ports.membership.frontend, { httpPort: ports.frontendHttp }),
      matching: service(ports.matching, ports.membership.matching),
      history: service(ports.history, ports.membership.history),
      worker: service(ports.worker, ports.membership.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: join(configDir, 'dynamicconfig.yaml'), pollInterval: '10s' },
  };
  // Search attributes registered by the cluster script are usable at once (as on the dev server).
  const dynamic = { 'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }] };
  await writeFile(join(configDir, 'cluster.yaml'), stringify(config));
  await writeFile(join(configDir, 'dynamicconfig.yaml'), stringify(dynamic));
}

/** The standalone Web UI server's configuration (`<root>/config/cluster.yaml`, `--env cluster`). */
export async function writeUiServerConfig(
  root: string,
  opts: { temporalAddress: string; port: number; namespace: string },
): Promise<void> {
  const configDir = join(root, 'config');
  await mkdir(configDir, { recursive: true });
  const config = {
    temporalGrpcAddress: opts.temporalAddress,
    host: '127.0.0.1',
    port: opts.port,
    enableUi: true,
    defaultNamespace: opts.namespace,
    cors: { cookieInsecure: true, allowOrigins: [`http://127.0.0.1:${opts.port}`, `http://localhost:${opts.port}`] },
    refreshInterval: '0s',
    notifyOnNewVersion: false,
  };
  await writeFile(join(configDir, 'cluster.yaml'), stringify(config));
}
