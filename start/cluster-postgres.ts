import { chown, mkdir, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { runProcess } from '../toolchain/run-process';
import { ToolchainError } from '../toolchain/toolchain-error';

/** A PostgreSQL server the cluster's databases live on. */
export interface ClusterPostgres {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  /** postgres://… for one database on this server. */
  urlOf(database: string): string;
  /** Stops the server if the cluster started it; a DATABASE_URL server is left alone. */
  stop(): Promise<void>;
}

function serverOf(
  host: string,
  port: number,
  user: string,
  password: string | undefined,
  stop: () => Promise<void>,
): ClusterPostgres {
  const auth =
    password !== undefined ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
  return { host, port, user, password, urlOf: (db) => `postgres://${auth}@${host}:${port}/${db}`, stop };
}

/** The server DATABASE_URL names (its database part is ignored: the cluster creates its own). */
export function externalPostgres(databaseUrl: string): ClusterPostgres {
  const url = new URL(databaseUrl);
  return serverOf(
    url.hostname,
    Number(url.port || 5432),
    decodeURIComponent(url.username || 'postgres'),
    url.password ? decodeURIComponent(url.password) : undefined,
    async () => undefined,
  );
}

/** Debian's newest installed PostgreSQL (/usr/lib/postgresql/<version>/bin). */
function debianPostgresBin(): string {
  const base = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(base)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(a) - Number(b));
  } catch {
    // none installed
  }
  const newest = versions.at(-1);
  if (!newest)
    throw new ToolchainError(
      "npm run cluster needs PostgreSQL: install Debian's postgresql package, or set DATABASE_URL to a server",
    );
  return join(base, newest, 'bin');
}

/** The server refuses to run as root: as root, its commands run as the postgres user. */
async function asServerUser(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return userInfo().uid === 0
    ? runProcess('runuser', ['-u', 'postgres', '--', command, ...args])
    : runProcess(command, args);
}

/**
 * A PostgreSQL cluster of the fleet's own in `dataDir` (initdb on first use, trust auth on
 * loopback only, its socket in /tmp), started on `port`. `durable: false` turns fsync off: for
 * throwaway test clusters on a loaded machine, never for data you keep.
 */
export async function ownPostgres(dataDir: string, port: number, opts: { durable: boolean }): Promise<ClusterPostgres> {
  const bin = debianPostgresBin();
  await mkdir(dataDir, { recursive: true });
  if (userInfo().uid === 0) {
    const pg = await runProcess('id', ['-u', 'postgres']);
    const pgGid = await runProcess('id', ['-g', 'postgres']);
    if (pg.code !== 0)
      throw new ToolchainError(
        'running as root, npm run cluster starts PostgreSQL as the postgres user, which does not exist',
      );
    await chown(dataDir, Number(pg.stdout.trim()), Number(pgGid.stdout.trim()));
  }
  const initialised = await stat(join(dataDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  if (!initialised) {
    const init = await asServerUser(join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    if (init.code !== 0) throw new ToolchainError(`initdb failed (exit ${init.code}):\n${init.stderr.slice(-2000)}`);
  }
  const options = [
    `-p ${port}`,
    '-k /tmp',
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=400',
    ...(opts.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off']),
  ];
  const start = await asServerUser(join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-o',
    options.join(' '),
    '-l',
    join(dataDir, 'server.log'),
    '-w',
    'start',
  ]);
  if (start.code !== 0)
    throw new ToolchainError(
      `pg_ctl start failed (exit ${start.code}):\n${start.stdout.slice(-1000)}${start.stderr.slice(-1000)}`,
    );
  return serverOf('127.0.0.1', port, 'postgres', undefined, async () => {
    await asServerUser(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  });
}
