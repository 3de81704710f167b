import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import type { EmbeddedPostgres } from '../../db/embedded-postgres';
import { startMigratedPostgres } from './migrated-postgres';
import { testWorkflowBundlePath } from './workflow-bundle';

const SPARE_DATABASES = 2;

declare module 'vitest' {
  export interface ProvidedContext {
    /** POST here for a database of a time-skipping file's own (see leaseDatabase). */
    databaseLeaseUrl: string;
  }
}

/**
 * How many of this project's files the run has: all of them, or those the command line's filters
 * name. vitest keeps the filters in a field it marks internal; without it every file is counted
 * (a spare too many is only the cost of starting it).
 */
async function filesInThisRun(project: TestProject): Promise<number> {
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const specifications = await project.vitest.globTestSpecifications(filters);
  const mine = specifications.filter((s) => s.project.name === project.name).length;
  return mine > 0 ? mine : SPARE_DATABASES;
}

/**
 * Time-skipping files run the same cached workflow bundle as the integration tests, not one each,
 * and get their databases from here: every file needs one of its own (their tests share ids), and
 * an embedded PostgreSQL started in the file's process pays PGlite's WebAssembly compilation
 * (several seconds) each time, where this process pays it once and starts each database from the
 * migrated snapshot, ahead of the request. POST /databases answers `{ url }`; DELETE
 * /databases?url=… stops one; teardown stops the rest.
 */
export default async function setup(project: TestProject) {
  const databases = new Map<string, EmbeddedPostgres>();
  // As many ready as files run at once (vitest.config.ts), started while vitest starts its workers
  // and they import the test files; each lease starts the next while files of this run are still to
  // come. (Every start costs this process about a second of CPU, the process that also answers
  // every query of the running files' databases: a run of two files started two spares nobody
  // leased, one more second on the wall of the 7-day-timeout benchmark each.)
  const expected = await filesInThisRun(project);
  let started = 0;
  const spares: Promise<EmbeddedPostgres>[] = [];
  const startSpare = () => {
    if (started >= expected) return;
    started += 1;
    const next = startMigratedPostgres();
    next.catch(() => undefined);
    spares.push(next);
  };
  for (let i = 0; i < SPARE_DATABASES; i++) startSpare();
  project.provide('workflowBundlePath', await testWorkflowBundlePath());
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://lease');
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/databases') {
      const leased = spares.shift() ?? (started++, startMigratedPostgres());
      startSpare();
      leased.then(
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
    const unleased = await Promise.allSettled(spares);
    await Promise.all(
      [...databases.values(), ...unleased.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))].map((db) =>
        db.stop(),
      ),
    );
  };
}
