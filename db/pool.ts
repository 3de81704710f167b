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

/** An advisory lock in the two-key space (`pg_advisory_xact_lock(int4, int4)`): a family and a member. */
export interface KeyedLock {
  key: readonly [number, number];
  /** Shared: holders run side by side and only an exclusive holder of the same key waits for them. */
  shared?: boolean;
}

const isInt4 = (n: number) => Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff;

function lockStatement(lock: number | KeyedLock): string {
  if (typeof lock === 'number') {
    if (!Number.isSafeInteger(lock)) throw new Error(`bad advisory lock id ${lock}`);
    return `SELECT pg_advisory_xact_lock(${lock})`;
  }
  if (!lock.key.every(isInt4)) throw new Error(`bad advisory lock key ${lock.key.join(', ')}`);
  return `SELECT pg_advisory_xact_lock${lock.shared ? '_shared' : ''}(${lock.key[0]}, ${lock.key[1]})`;
}

/** The advisory lock each open transaction of withTransaction began with (a lock-order rule checks it). */
const begunWith = new WeakMap<object, number | KeyedLock>();

/** The advisory lock `q`'s transaction took with its BEGIN (withTransaction's `lock`), if any. */
export const lockTakenAtBegin = (q: object): number | KeyedLock | undefined => begunWith.get(q);

/**
 * Runs `work` in one transaction: everything it writes lands together or not at all. With `lock`,
 * the transaction takes that advisory lock in the same round trip as its BEGIN (a hot writer that
 * appends provenance saves one).
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (tx: pg.PoolClient) => Promise<T>,
  opts: { lock?: number | KeyedLock } = {},
): Promise<T> {
  // Built (and checked) before a connection is taken: the ids are inlined into the BEGIN's round trip.
  const begin = opts.lock === undefined ? 'BEGIN' : `BEGIN; ${lockStatement(opts.lock)}`;
  const tx = await pool.connect();
  try {
    // A simple-protocol query may carry several statements: one round trip for both.
    await tx.query(begin);
    if (opts.lock !== undefined) begunWith.set(tx, opts.lock);
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    begunWith.delete(tx);
    tx.release();
  }
}
