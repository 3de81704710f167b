import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../db/embedded-postgres';
import { createPool, withTransaction } from '../../../db/pool';

describe('embedded PostgreSQL under concurrent connections', () => {
  let db: EmbeddedPostgres;
  beforeAll(async () => {
    db = await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('answers every parameterised query with its own rows while other connections run queries and transactions', async () => {
    const pool = createPool(db.url, 8);
    try {
      await pool.query('CREATE TABLE concurrency_probe (id int PRIMARY KEY, v text NOT NULL)');
      const outcomes = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          try {
            if (i % 3 === 0) {
              await withTransaction(pool, (tx) =>
                tx.query('INSERT INTO concurrency_probe VALUES ($1, $2)', [i, `row ${i}`]),
              );
              return 'ok';
            }
            if (i % 3 === 1)
              return (await pool.query<{ n: number }>('SELECT $1::int AS n', [i])).rows[0]?.n === i
                ? 'ok'
                : 'wrong rows';
            return (await pool.query<{ s: string }>('SELECT $1::text AS s, 1 AS other', [`text ${i}`])).rows[0]?.s ===
              `text ${i}`
              ? 'ok'
              : 'wrong rows';
          } catch (error) {
            return (error as Error).message;
          }
        }),
      );
      expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
      expect((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM concurrency_probe')).rows[0]?.n).toBe(
        100,
      );
    } finally {
      await pool.end();
    }
  });
});
