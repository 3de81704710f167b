import type pg from 'pg';
import { expect } from 'vitest';

/**
 * The plan a statement prepared once per session (db/session-prepared.ts) keeps on `pool`'s one
 * connection, as EXPLAIN EXECUTE shows it with `args` (SQL literals): the statement whose name
 * starts with `label` must have gone generic by then (PostgreSQL does after five runs), since the
 * kept generic plan is what every later flush runs.
 */
export async function keptGenericPlan(pool: pg.Pool, label: string, args: readonly string[]): Promise<string> {
  const { rows } = await pool.query<{ name: string; generic_plans: number }>(
    'SELECT name, generic_plans FROM pg_prepared_statements WHERE starts_with(name, $1)',
    [`${label}_`],
  );
  expect(rows[0]!.generic_plans).toBeGreaterThan(0);
  const plan = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${rows[0]!.name}(${args.join(', ')})`);
  return plan.rows.map((r) => r['QUERY PLAN']).join('\n');
}
