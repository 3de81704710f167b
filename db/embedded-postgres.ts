import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepProtocolSequencesTogether } from './pglite-protocol-queue';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** The whole data directory as a tarball, for `from` of a later start. */
  snapshot(): Promise<Blob>;
  stop(): Promise<void>;
}

/**
 * PGlite behind the PostgreSQL wire protocol, so every Warden process talks to it through `pg`
 * exactly as it would to a real server. `dataDir` undefined keeps the database in memory (tests).
 * `from` starts from a snapshot instead of an empty cluster: unpacking one takes about a second
 * where creating a cluster takes several (tests start from a migrated one).
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string | undefined;
  port: number;
  host?: string;
  from?: Blob;
}): Promise<EmbeddedPostgres> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const db = await PGlite.create({
    dataDir: opts.dataDir ?? 'memory://',
    ...(opts.from ? { loadDataDir: opts.from } : {}),
  });
  const server = new PGLiteSocketServer({
    db,
    port: opts.port,
    host: opts.host ?? '127.0.0.1',
    // The server multiplexes clients onto PGlite's single session, keeping a transaction's
    // statements together; Warden's pools (worker, API, CLI) need more than one connection.
    maxConnections: 128,
  });
  keepProtocolSequencesTogether(server);
  await server.start();
  const conn = server.getServerConn();
  const port = Number.parseInt(conn.slice(conn.lastIndexOf(':') + 1), 10);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    snapshot: () => db.dumpDataDir('none'),
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
