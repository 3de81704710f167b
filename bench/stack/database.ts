import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createScratchDatabase } from '../../db/scratch-database';
import { freePort, spawnManaged, stopChild, waitForPort } from '../../toolchain/child-process';
import { startDebianPostgres } from './debian-postgres';

const runner = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface BenchDatabase {
  url: string;
  /** What the report names: `embedded (PGlite)` or `PostgreSQL 15.x`. */
  label: string;
  /** The server's processes that serve this database (PGlite's process, or a server's backends), for CPU accounting. */
  processIds(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * PGlite behind the wire protocol in a child process of its own (as `npm start` runs it), so the
 * database's CPU never shares the event loop whose latency is measured. `dataDir` undefined keeps
 * it in memory.
 */
export async function startEmbeddedDatabase(dataDir?: string): Promise<BenchDatabase> {
  const port = await freePort();
  const child = spawnManaged('pglite', process.execPath, [
    runner,
    'start/embedded-postgres-main.ts',
    '--port',
    String(port),
    ...(dataDir ? ['--data', dataDir] : []),
  ]);
  // Minutes, not seconds: on two cores shared with other work PGlite's start-up alone can take over a minute.
  await waitForPort(port, 240_000, child);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    label: 'embedded (PGlite)',
    processIds: async () => (child.process.pid ? [child.process.pid] : []),
    stop: () => stopChild(child, 10_000),
  };
}

async function serverVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${rows[0]?.server_version.split(' ')[0] ?? '?'}`;
  } finally {
    await c.end();
  }
}

/** The backends serving the database `url` names (on this machine, so /proc can account for them). */
async function backendPids(url: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rows.map((r) => r.pid);
  } finally {
    await c.end();
  }
}

/** A database of its own on the server `url` names, dropped at the end: the user's data is never touched. */
async function scratchOn(url: string): Promise<BenchDatabase> {
  const scratch = await createScratchDatabase(url, 'warden_bench');
  return {
    url: scratch.url,
    label: await serverVersion(url),
    processIds: () => backendPids(scratch.url),
    stop: scratch.drop,
  };
}

/**
 * A real PostgreSQL server: a scratch database on DATABASE_URL when it is set, otherwise a
 * throwaway Debian cluster; null when neither is available.
 */
export async function startRealDatabase(): Promise<BenchDatabase | null> {
  if (process.env.DATABASE_URL) return scratchOn(process.env.DATABASE_URL);
  const cluster = await startDebianPostgres();
  if (!cluster) return null;
  return {
    url: cluster.url,
    label: `${await serverVersion(cluster.url)} (throwaway cluster)`,
    processIds: () => backendPids(cluster.url),
    stop: async () => cluster.stop(),
  };
}

/** The database the tests would use: DATABASE_URL's server when set, else embedded. */
export async function startDefaultDatabase(): Promise<BenchDatabase> {
  return process.env.DATABASE_URL ? scratchOn(process.env.DATABASE_URL) : startEmbeddedDatabase();
}

/**
 * The databases a benchmark that compares them runs on, in order: embedded PGlite (`embedded` starts
 * it; null skips it), then a real PostgreSQL (DATABASE_URL's server, else a throwaway cluster). With no
 * real server, `notes` says so. The benchmark stops each database it is given.
 */
export async function* bothDatabases(
  notes: string[],
  embedded: () => Promise<BenchDatabase | null> = () => startEmbeddedDatabase(),
): AsyncGenerator<{ key: 'embedded' | 'postgres'; database: BenchDatabase }> {
  const starts = [
    ['embedded', embedded],
    ['postgres', startRealDatabase],
  ] as const;
  for (const [key, start] of starts) {
    const database = await start();
    if (database) yield { key, database };
    else if (key === 'postgres')
      notes.push('no real PostgreSQL: DATABASE_URL is unset and no Debian postgresql is installed');
  }
}
