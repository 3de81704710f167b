import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../../db/migrate';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('migrations');

describe('migrations', () => {
  it('are numbered without gaps or duplicates and all recorded as applied', async () => {
    const migrations = await loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    const { rows } = await ctx.pool.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  it('applying them again changes nothing', async () => {
    expect(await migrate(ctx.pool)).toEqual([]);
  });

  it('a failing migration leaves nothing half-applied', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-migrations-'));
    try {
      await writeFile(join(dir, '901_half_good.sql'), 'CREATE TABLE migration_probe_a (id int);');
      await writeFile(
        join(dir, '902_broken.sql'),
        'CREATE TABLE migration_probe_b (id int); SELECT no_such_function();',
      );
      const extra = await loadMigrations(dir);
      await expect(migrate(ctx.pool, [...(await loadMigrations()), ...extra])).rejects.toThrow(/902_broken failed/);
      const { rows } = await ctx.pool.query(
        "SELECT to_regclass('migration_probe_a') AS a, to_regclass('migration_probe_b') AS b",
      );
      expect(rows[0]).toEqual({ a: null, b: null });
      const applied = await ctx.pool.query('SELECT 1 FROM schema_migrations WHERE version > 900');
      expect(applied.rowCount).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
