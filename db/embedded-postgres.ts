import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepProtocolSequencesTogether } from './pglite-protocol-queue';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * PGlite behind the PostgreSQL wire protocol, so every Warden process talks to it through `pg`
 * exactly as it would to a real server. `dataDir` undefined keeps the database in memory (tests).
 */
export async function startEmbeddedPostgres(opts: { dataDir: string | undefined; port: number; host?: string }): Promise<EmbeddedPostgres> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir ?? 'memory://');
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
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
