import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import type { EmbeddedPostgres } from '../../db/embedded-postgres';
import { startMigratedPostgres } from './migrated-postgres';
import { testWorkflowBundlePath } from './workflow-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    /** POST here for a database of a time-skipping file's own (see leaseDatabase). */
    databaseLeaseUrl: string;
  }
}

/**
 * Time-skipping files run the same cached workflow bundle as the integration tests, not one each,
 * and get their databases from here: every file needs one of its own (their tests share ids), and
 * an embedded PostgreSQL started in the file's process pays PGlite's WebAssembly compilation
 * (several seconds) each time, where this process pays it once and then starts each database from
 * the migrated snapshot in about a second. POST /databases answers `{ url }`; DELETE
 * /databases?url=… stops one; teardown stops the rest.
 */
export default async function setup(project: TestProject) {
  project.provide('workflowBundlePath', await testWorkflowBundlePath());
  const databases = new Map<string, EmbeddedPostgres>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://lease');
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/databases') {
      startMigratedPostgres().then(
        (db) => {
          databases.set(db.url, db);
          answer(201, { url: db.url });
        },
        (error: unknown) => answer(500, { error: String(error) }),
      );
    } else if (req.method === 'DELETE' && url.pathname === '/databases') {
      const db = databases.get(url.searchParams.get('url') ?? '');
      databases.delete(db?.url ?? '');
      void (db ? db.stop() : Promise.resolve()).then(() => answer(db ? 200 : 404, {}));
    } else {
      answer(404, {});
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  project.provide('databaseLeaseUrl', `http://127.0.0.1:${(server.address() as AddressInfo).port}/databases`);
  return async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await Promise.all([...databases.values()].map((db) => db.stop()));
  };
}
