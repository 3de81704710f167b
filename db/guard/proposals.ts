import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import { notFound } from '../../domain/errors';
import type { GateCheck } from '../../domain/guard/gate-outcome';
import type { GuardDecision } from '../../domain/guard/guard-decision';
import type { ProposalState } from '../../domain/guard/proposal-state';
import type { SafetyEvent } from '../../domain/guard/safety-event';
import { loadManifest } from './manifests';
import type { ApprovalRecord, ProposalFields, ProposalView, ReleaseBundle } from '../../domain/guard/proposal-record';

interface ProposalRow extends ProposalFields {
  state: ProposalState;
  approval_deadline: Date | null;
}

export async function requireProposalRow(q: Queryable, proposalId: string, forUpdate = false): Promise<ProposalRow> {
  const { rows } = await q.query<ProposalRow>(
    `SELECT proposal_id, proposal_type, policy_id, manifest_id, source_ref, request, payload, rollback_id, proposer, state,
            approval_deadline
       FROM guard_proposals WHERE proposal_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [proposalId],
  );
  if (!rows[0]) throw notFound(`proposal ${proposalId}`);
  return rows[0];
}

export async function proposalExists(q: Queryable, proposalId: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM guard_proposals WHERE proposal_id = $1', [proposalId]);
  return rows.length > 0;
}

export async function findDecision(
  q: Queryable,
  proposalId: string,
): Promise<{ guard_decision: GuardDecision; gates: GateCheck[] } | undefined> {
  const { rows } = await q.query<{ guard_decision: GuardDecision; gates: GateCheck[] }>(
    'SELECT guard_decision, gates FROM guard_decisions WHERE proposal_id = $1',
    [proposalId],
  );
  return rows[0];
}

export async function findApproval(q: Queryable, proposalId: string): Promise<ApprovalRecord | undefined> {
  const { rows } = await q.query<{ approval_id: string; approver: string; approver_role: string; approved_at: Date }>(
    'SELECT approval_id, approver, approver_role, approved_at FROM guard_approvals WHERE proposal_id = $1',
    [proposalId],
  );
  const row = rows[0];
  return row ? { ...row, approved_at: row.approved_at.toISOString() } : undefined;
}

export async function findSafetyEvent(q: Queryable, proposalId: string): Promise<SafetyEvent | undefined> {
  const { rows } = await q.query<{ event: SafetyEvent }>(
    'SELECT event FROM guard_safety_events WHERE proposal_id = $1 ORDER BY created_at DESC LIMIT 1',
    [proposalId],
  );
  return rows[0]?.event;
}

export async function findRelease(
  q: Queryable,
  proposalId: string,
): Promise<{ payload: Record<string, unknown>; bundle: ReleaseBundle } | undefined> {
  const { rows } = await q.query<{ payload: Record<string, unknown>; bundle: ReleaseBundle }>(
    'SELECT payload, bundle FROM guard_releases WHERE proposal_id = $1',
    [proposalId],
  );
  return rows[0];
}

export async function loadProposalView(q: Queryable, proposalId: string): Promise<ProposalView> {
  const row = await requireProposalRow(q, proposalId);
  const [decision, approval, safetyEvent, release, manifest] = await Promise.all([
    findDecision(q, proposalId),
    findApproval(q, proposalId),
    findSafetyEvent(q, proposalId),
    findRelease(q, proposalId),
    loadManifest(q, row.manifest_id, row.source_ref),
  ]);
  const d = decision?.guard_decision;
  return {
    proposal_id: row.proposal_id,
    proposal_type: row.proposal_type,
    policy_id: row.policy_id,
    state: row.state,
    proposer: row.proposer,
    rollback_id: row.rollback_id,
    source_ref: row.source_ref,
    request: row.request,
    decision: d
      ? {
          decision: d.decision,
          reason: d.reason,
          risk_score: d.risk_score,
          confidence_low: d.confidence_low,
          confidence_high: d.confidence_high,
          tenant_safe_explanation: d.tenant_safe_explanation,
          gates: decision.gates,
        }
      : null,
    manifest,
    approval: approval ?? null,
    approval_deadline: row.approval_deadline?.toISOString() ?? null,
    released_at: release?.bundle.released_at ?? null,
    safety_event_id: safetyEvent?.event_id ?? null,
    payload: row.payload,
    submitted: false,
    promotion_status: 'proposed',
    approved: approval !== undefined,
    approval_id: approval?.approval_id ?? '',
    guard_decision: d ?? null,
  };
}

/**
 * Stores a new proposal (a retried insert of the same id changes nothing): a warned one has no
 * approval deadline, one awaiting approval has its deadline `approvalTimeoutMs` from now.
 */
export async function insertProposal(
  q: Queryable,
  p: ProposalFields,
  start: { state: 'awaiting_approval'; approvalTimeoutMs: number } | { state: 'warned'; approvalTimeoutMs: null },
): Promise<void> {
  await q.query(
    `INSERT INTO guard_proposals (proposal_id, proposal_type, policy_id, manifest_id, source_ref, request, payload, rollback_id, proposer, state, approval_deadline)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $11::bigint IS NULL THEN NULL ELSE now() + $11::bigint * interval '1 millisecond' END)
     ON CONFLICT (proposal_id) DO NOTHING`,
    [
      p.proposal_id,
      p.proposal_type,
      p.policy_id,
      p.manifest_id,
      p.source_ref,
      JSON.stringify(p.request),
      JSON.stringify(p.payload),
      p.rollback_id,
      p.proposer,
      start.state,
      start.approvalTimeoutMs,
    ],
  );
}

export async function insertDecision(
  q: Queryable,
  proposalId: string,
  decision: GuardDecision,
  gates: GateCheck[],
): Promise<void> {
  await q.query(
    `INSERT INTO guard_decisions (proposal_id, decision, reason, risk_score, gates, guard_decision) VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      proposalId,
      decision.decision,
      decision.reason,
      decision.risk_score,
      JSON.stringify(gates),
      JSON.stringify(decision),
    ],
  );
}

export async function insertSafetyEvent(q: Queryable, proposalId: string, event: SafetyEvent): Promise<void> {
  await q.query('INSERT INTO guard_safety_events (event_id, proposal_id, event) VALUES ($1, $2, $3)', [
    event.event_id,
    proposalId,
    JSON.stringify(event),
  ]);
}

/** Whether an approval with this id is recorded, for any proposal (approval ids are unique). */
export async function approvalIdUsed(q: Queryable, approvalId: string): Promise<boolean> {
  const used = await q.query('SELECT proposal_id FROM guard_approvals WHERE approval_id = $1', [approvalId]);
  return (used.rowCount ?? 0) > 0;
}

export async function insertApproval(
  q: Queryable,
  a: { proposalId: string; approvalId: string; approver: string; approverRole: string },
): Promise<void> {
  await q.query(
    'INSERT INTO guard_approvals (proposal_id, approval_id, approver, approver_role) VALUES ($1, $2, $3, $4)',
    [a.proposalId, a.approvalId, a.approver, a.approverRole],
  );
}

/** Keeps the released payload and its audit bundle. */
export async function insertRelease(q: Queryable, proposalId: string, bundle: ReleaseBundle): Promise<void> {
  await q.query('INSERT INTO guard_releases (proposal_id, payload, bundle) VALUES ($1, $2, $3)', [
    proposalId,
    JSON.stringify(bundle.payload),
    JSON.stringify(bundle),
  ]);
}

export async function setProposalState(
  q: Queryable,
  proposalId: string,
  state: 'approved' | 'released' | 'expired',
): Promise<void> {
  await q.query(`UPDATE guard_proposals SET state = $2, updated_at = now() WHERE proposal_id = $1`, [
    proposalId,
    state,
  ]);
}

export interface ProposalListing {
  proposalId: string;
  approverRole: string;
}

/** The newest proposals with the role their policy requires of an approver (optionally one state or policy). */
export async function recentProposals(
  q: Queryable,
  limit = 30,
  filter: { state?: ProposalState; policyId?: string } = {},
): Promise<ProposalListing[]> {
  const { rows } = await q.query<{ proposal_id: string; approver_role: string }>(
    `SELECT p.proposal_id, g.approver_role FROM guard_proposals p JOIN guard_policies g ON g.policy_id = p.policy_id
      WHERE ($2::text IS NULL OR p.state = $2) AND ($3::text IS NULL OR p.policy_id = $3)
      ORDER BY p.created_at DESC, p.proposal_id LIMIT $1`,
    [limit, filter.state ?? null, filter.policyId ?? null],
  );
  return rows.map(camelRow);
}
