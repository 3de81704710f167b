import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../db/embedded-postgres';
import { loadMigrations, migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { withLock } from '../../toolchain/file-lock';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cacheDir = join(root, '.warden-test');

/** Which migrations a snapshot holds, and the PGlite that wrote it. */
async function templateKey(): Promise<string> {
  // Its package.json is not among the package's exports: read from where npm put it.
  const pglite = await readFile(join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8');
  const hash = createHash('sha256').update((JSON.parse(pglite) as { version: string }).version);
  for (const m of await loadMigrations()) hash.update(`\0${m.name}\0${m.sql}`);
  return hash.digest('hex').slice(0, 24);
}

/**
 * A snapshot of an in-memory PGlite with every migration applied, made once per set of migrations
 * (creating a cluster costs several seconds, unpacking the snapshot about one) and kept in
 * .warden-test/. Setups and test files asking at once wait for the one that makes it.
 */
async function migratedTemplate(): Promise<Blob> {
  const path = join(cacheDir, `pglite-migrated-${await templateKey()}.tar`);
  const read = async () => new Blob([await readFile(path)]);
  try {
    return await read();
  } catch {
    // Not made for these migrations yet.
  }
  return withLock(`${path}.lock`, async () => {
    try {
      return await read();
    } catch {
      const db = await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
      try {
        const pool = createPool(db.url, 2);
        await migrate(pool);
        await pool.end();
        const snapshot = await db.snapshot();
        const scratch = `${path}.${process.pid}.tmp`;
        await writeFile(scratch, Buffer.from(await snapshot.arrayBuffer()));
        await rename(scratch, path);
        return snapshot;
      } finally {
        await db.stop();
      }
    }
  });
}

/** An in-memory embedded PostgreSQL on a free port with every migration already applied. */
export async function startMigratedPostgres(): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({ dataDir: undefined, port: 0, from: await migratedTemplate() });
}
