import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../../db/embedded-postgres';
import { createPool } from '../../../db/pool';
import { createScratchDatabase } from '../../../db/scratch-database';
import { SessionPrepared } from '../../../db/session-prepared';

// A database of its own (PGlite, or a scratch database on DATABASE_URL's server): the statement
// names below must not meet another file's.
describe('a statement prepared once per session (SessionPrepared)', () => {
  let db: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    const external = process.env.DATABASE_URL;
    db = external
      ? await createScratchDatabase(external, 'warden_prepared').then((s) => ({ url: s.url, stop: s.drop }))
      : await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
  });
  afterAll(async () => {
    await db?.stop();
  });

  const plusOne = (label: string) => new SessionPrepared(label, ['integer'], 'SELECT $1 + 1 AS n');
  const answer = async (pool: pg.Pool, s: SessionPrepared, n: number) =>
    (await s.run<pg.QueryResult<{ n: number }>[]>(pool, `SELECT 'lock' AS x; ${s.execute([`${n}`])}`))[1]!.rows[0]!.n;
  const executions = async (pool: pg.Pool, s: SessionPrepared) =>
    (
      await pool.query<{ n: number }>(
        'SELECT (generic_plans + custom_plans)::int AS n FROM pg_prepared_statements WHERE name = $1',
        [s.name],
      )
    ).rows[0]?.n ?? 0;

  it('is prepared on the first run of a session and executed, not prepared again, by the next ones', async () => {
    const pool = createPool(db.url, 1);
    try {
      const s = plusOne('prepared_once');
      for (let i = 0; i < 7; i++) expect(await answer(pool, s, i)).toBe(i + 1);
      expect(await executions(pool, s)).toBe(7);
    } finally {
      await pool.end();
    }
  });

  it('is prepared again when the session lost it, and taken as prepared when the session already has it', async () => {
    const pool = createPool(db.url, 1);
    try {
      const s = plusOne('prepared_again');
      expect(await answer(pool, s, 1)).toBe(2);
      await pool.query(`DEALLOCATE ${s.name}`);
      expect(await answer(pool, s, 2)).toBe(3);
      // As another connection onto PGlite's one session leaves it: PREPARE answers 42P05.
      const other = plusOne('prepared_elsewhere');
      await pool.query(`PREPARE ${other.name}(integer) AS SELECT $1 + 1 AS n`);
      expect(await answer(pool, other, 41)).toBe(42);
    } finally {
      await pool.end();
    }
  });

  it('answers each caller its own rows on many connections at once', async () => {
    const pool = createPool(db.url, 6);
    try {
      const s = plusOne('prepared_shared');
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => answer(pool, s, i)));
      expect(answers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    } finally {
      await pool.end();
    }
  });

  it('refuses arguments that do not match its parameters', () => {
    expect(() => plusOne('prepared_arity').execute(['1', '2'])).toThrow(/takes 1 arguments, not 2/);
  });
});
