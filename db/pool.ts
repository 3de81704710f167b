import pg from 'pg';

export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** NUMERIC and BIGINT come back as strings by default; Warden's counts fit in a JS number. */
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Runs `work` in one transaction: everything it writes lands together or not at all. With `lock`,
 * the transaction takes that advisory lock in the same round trip as its BEGIN (a hot writer that
 * appends provenance saves one).
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (tx: pg.PoolClient) => Promise<T>,
  opts: { lock?: number } = {},
): Promise<T> {
  if (opts.lock !== undefined && !Number.isSafeInteger(opts.lock)) throw new Error(`bad advisory lock id ${opts.lock}`);
  const tx = await pool.connect();
  try {
    // A simple-protocol query may carry several statements: one round trip for both.
    await tx.query(opts.lock === undefined ? 'BEGIN' : `BEGIN; SELECT pg_advisory_xact_lock(${opts.lock})`);
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}
