import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../../db/embedded-postgres';
import { PipelinedConnection } from '../../../db/pipelined-connection';
import { createScratchDatabase } from '../../../db/scratch-database';
import { SessionPrepared } from '../../../db/session-prepared';

// A database of its own (PGlite, or a scratch database on DATABASE_URL's server): the tables and
// statement names below must not meet another file's.
describe('a connection that sends messages without waiting for the one before (PipelinedConnection)', () => {
  let db: { url: string; stop(): Promise<void> };
  let conn: PipelinedConnection;
  beforeAll(async () => {
    const external = process.env.DATABASE_URL;
    db = external
      ? await createScratchDatabase(external, 'warden_pipelined').then((s) => ({ url: s.url, stop: s.drop }))
      : await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
    conn = new PipelinedConnection(db.url);
    await conn.query('CREATE TABLE pipelined (n int NOT NULL, seq bigserial PRIMARY KEY)');
  });
  afterAll(async () => {
    conn?.close();
    await db?.stop();
  });

  const stored = async () =>
    (await conn.query('SELECT n FROM pipelined ORDER BY seq'))[0]!.rows.map((r) => r.n as number);

  it('sends each message at once, and the server runs them in the order sent, each answered with its own rows', async () => {
    await conn.query('TRUNCATE pipelined');
    const answers = Array.from({ length: 20 }, (_, i) =>
      conn.query(`INSERT INTO pipelined (n) VALUES (${i}) RETURNING n; SELECT ${i} * 2 AS double`),
    );
    // All twenty are on the wire, none answered yet: pg's Client would hold the second until the first's answer.
    expect(conn.unanswered).toBe(20);
    const results = await Promise.all(answers);
    expect(results.map((r) => [r[0]!.rows[0]!.n, r[1]!.rows[0]!.double])).toEqual(
      Array.from({ length: 20 }, (_, i) => [i, i * 2]),
    );
    expect(await stored()).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('parses values as pg does (booleans, integers, nulls, text) and answers a statement without rows with none', async () => {
    const [set, row] = await conn.query(
      "SET LOCAL statement_timeout = '1min'; SELECT true AS ok, 7::int AS n, NULL::text AS z, 'x' AS s",
    );
    expect(set!.rows).toEqual([]);
    expect(row!.rows).toEqual([{ ok: true, n: 7, z: null, s: 'x' }]);
  });

  it('a failed message rejects only itself and writes nothing; the one behind it runs', async () => {
    await conn.query('TRUNCATE pipelined');
    const failing = conn.query('INSERT INTO pipelined (n) VALUES (100); SELECT 1 / 0');
    const behind = conn.query('INSERT INTO pipelined (n) VALUES (101) RETURNING n');
    await expect(failing).rejects.toMatchObject({ code: '22012' });
    expect((await behind)[0]!.rows).toEqual([{ n: 101 }]);
    expect(await stored()).toEqual([101]);
  });

  it('closed with messages unanswered: they are rejected, and the next message opens a new connection', async () => {
    await conn.query('SELECT 1');
    const unanswered = conn.query('SELECT 2 AS n');
    conn.close();
    await expect(unanswered).rejects.toThrow(/closed/);
    expect((await conn.query('SELECT 3 AS n'))[0]!.rows).toEqual([{ n: 3 }]);
  });

  it('runs a session-prepared statement: prepared ahead of its first EXECUTE, and again once the session lost it', async () => {
    const s = new SessionPrepared('pipelined_plus_one', ['integer'], 'SELECT $1 + 1 AS n');
    const run = async (n: number) =>
      (await s.runPipelined(conn, `SELECT 'lock' AS x; ${s.execute([`${n}`])}`))[1]!.rows[0]!.n;
    // The first two go out back to back: the PREPARE precedes both on the wire.
    expect(await Promise.all([run(1), run(2)])).toEqual([2, 3]);
    await conn.query(`DEALLOCATE ${s.name}`);
    expect(await run(41)).toBe(42);
    const { rows } = (
      await conn.query(
        `SELECT (generic_plans + custom_plans)::int AS n FROM pg_prepared_statements WHERE name = '${s.name}'`,
      )
    )[0]!;
    expect(rows).toEqual([{ n: 1 }]);
  });
});
