import type { Queryable } from './pool';

/**
 * Which demo a first start has seeded, kept in warden_meta under `seed.<loop>`: a demo is seeded
 * once per installation, so a demo object someone has since removed, revoked or replaced is never
 * brought back by a later start.
 */
export async function seedMarked(q: Queryable, key: string): Promise<boolean> {
  const { rowCount } = await q.query('SELECT 1 FROM warden_meta WHERE key = $1', [key]);
  return (rowCount ?? 0) > 0;
}

/** Records a seed with what it created; false when it was recorded already (by another process or start). */
export async function markSeeded(q: Queryable, key: string, created: unknown): Promise<boolean> {
  const { rowCount } = await q.query(
    'INSERT INTO warden_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
    [key, JSON.stringify(created)],
  );
  return rowCount === 1;
}
