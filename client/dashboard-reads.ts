import type { Queryable } from '../db/pool';

/**
 * Read-only queries only the dashboard needs: lists across every loop and the cheap change
 * stamp its live updates poll. Each loop's own store keeps its writes and single-item reads.
 */

/**
 * Moves whenever anything the dashboard shows moves: every loop transition appends provenance,
 * and so does every shadow sample scored or failed (in the transaction that records it), so
 * samples need no count of their own (a scan of the whole table on each poll); row updates that
 * append none are covered by their updated_at.
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

export interface ProposalListing {
  proposalId: string;
  approverRole: string;
}

/** The newest proposals with the role their policy requires of an approver. */
export async function recentProposals(q: Queryable, limit = 30): Promise<ProposalListing[]> {
  const { rows } = await q.query<{ proposal_id: string; approver_role: string }>(
    `SELECT p.proposal_id, g.approver_role FROM guard_proposals p JOIN guard_policies g ON g.policy_id = p.policy_id
      ORDER BY p.created_at DESC, p.proposal_id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ proposalId: r.proposal_id, approverRole: r.approver_role }));
}
