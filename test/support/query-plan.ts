import type pg from 'pg';
import { withTransaction } from '../../db/pool';

class Rollback extends Error {}

/**
 * The plan of `sql` with sequential scans priced out (SET LOCAL, rolled back): the planner then
 * shows which index it would walk, whatever few rows the test database holds, which is what the
 * plan becomes once the table is large enough to make a sequential scan too dear.
 */
export async function planOf(pool: pg.Pool, sql: string, params: unknown[]): Promise<string> {
  let plan = '';
  await withTransaction(pool, async (tx) => {
    await tx.query('SET LOCAL enable_seqscan = off');
    const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    // EXPLAIN without ANALYZE runs nothing; rolled back all the same, so the setting never leaks.
    throw new Rollback();
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error;
  });
  return plan;
}
