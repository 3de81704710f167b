import { join } from 'node:path';
import { runProcess } from '../toolchain/run-process';
import { ToolchainError } from '../toolchain/toolchain-error';
import type { ClusterPostgres } from './cluster-postgres';

function toolArgs(pg: ClusterPostgres, database: string): string[] {
  return [
    '--plugin',
    'postgres12',
    '--ep',
    pg.host,
    '-p',
    String(pg.port),
    '-u',
    pg.user,
    ...(pg.password !== undefined ? ['--pw', pg.password] : []),
    '--db',
    database,
  ];
}

async function sqlTool(
  sqlToolPath: string,
  pg: ClusterPostgres,
  database: string,
  command: string[],
): Promise<{ ok: boolean; output: string }> {
  const r = await runProcess(sqlToolPath, [...toolArgs(pg, database), ...command]);
  return { ok: r.code === 0, output: `${r.stdout}\n${r.stderr}` };
}

/**
 * Creates `database` with Temporal's SQL tool; false when it was there already (so a restarted
 * cluster keeps its data). Also used for Warden's own database, so no SQL lives outside db/.
 */
export async function createDatabase(sqlToolPath: string, pg: ClusterPostgres, database: string): Promise<boolean> {
  const r = await sqlTool(sqlToolPath, pg, database, ['create-database']);
  if (r.ok) return true;
  if (/already exists/.test(r.output)) return false;
  throw new ToolchainError(`temporal-sql-tool create-database ${database} failed:\n${r.output.slice(-2000)}`);
}

export async function dropDatabase(sqlToolPath: string, pg: ClusterPostgres, database: string): Promise<void> {
  await sqlTool(sqlToolPath, pg, database, ['drop-database', '--force']);
}

/**
 * Temporal's two schemas (the persistence store and SQL visibility), from the module's
 * schema/postgresql/v12: set up at version 0.0 on a new database, then brought to the newest
 * versioned step (a no-op when already there).
 */
export async function setUpTemporalSchemas(
  sqlToolPath: string,
  schemaDir: string,
  pg: ClusterPostgres,
  databases: { temporal: string; visibility: string },
): Promise<void> {
  for (const [database, dir] of [
    [databases.temporal, 'temporal'],
    [databases.visibility, 'visibility'],
  ] as const) {
    const created = await createDatabase(sqlToolPath, pg, database);
    if (created) {
      const setup = await sqlTool(sqlToolPath, pg, database, ['setup-schema', '-v', '0.0']);
      if (!setup.ok)
        throw new ToolchainError(`temporal-sql-tool setup-schema on ${database} failed:\n${setup.output.slice(-2000)}`);
    }
    const update = await sqlTool(sqlToolPath, pg, database, ['update-schema', '-d', join(schemaDir, dir, 'versioned')]);
    if (!update.ok)
      throw new ToolchainError(`temporal-sql-tool update-schema on ${database} failed:\n${update.output.slice(-2000)}`);
  }
}
