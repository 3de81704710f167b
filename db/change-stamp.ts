import type { Queryable } from './pool';

/**
 * The dashboard's change stamp, polled by its live updates. It moves whenever anything the
 * dashboard shows moves: every loop transition appends provenance, and so does every shadow
 * sample scored or failed (in the transaction that records it), so samples need no count of
 * their own (a scan of the whole table on each poll); row updates that append none are covered
 * by their updated_at.
 */
export async function changeStamp(q: Queryable): Promise<string> {
  const { rows } = await q.query<{ seq: string; endorsed: Date | null; proposed: Date | null }>(
    `SELECT (SELECT coalesce(max(seq), 0) FROM provenance_log) AS seq,
            (SELECT max(updated_at) FROM endorsements) AS endorsed,
            (SELECT max(updated_at) FROM guard_proposals) AS proposed`,
  );
  const r = rows[0]!;
  return [r.seq, r.endorsed?.getTime() ?? 0, r.proposed?.getTime() ?? 0].join('.');
}
