import type { Queryable } from '../../db/pool';
import { notFound } from '../../domain/errors';
import type { GateCheck } from '../../domain/guard/gate-outcome';
import type { GuardDecision } from '../../domain/guard/guard-decision';
import type { ProposalState } from '../../domain/guard/proposal-state';
import type { SafetyEvent } from '../../domain/guard/safety-event';
import { loadManifest } from './manifest-store';
import type { ApprovalRecord, ProposalFields, ProposalView, ReleaseBundle } from './proposal-record';

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

export async function findDecision(q: Queryable, proposalId: string): Promise<{ guard_decision: GuardDecision; gates: GateCheck[] } | undefined> {
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

export async function findRelease(q: Queryable, proposalId: string): Promise<{ payload: Record<string, unknown>; bundle: ReleaseBundle } | undefined> {
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
  };
}
