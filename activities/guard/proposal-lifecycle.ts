import type pg from 'pg';
import { findPrincipal, principalHasRole } from '../../db/access/principals';
import { appendProvenance, appendProvenanceBatch, type ProvenanceInput } from '../../db/provenance/log';
import { WardenError, conflict, forbidden } from '../../domain/errors';
import { contentId } from '../../domain/guard/content-id';
import { buildGuardDecision } from '../../domain/guard/decision-builder';
import type { GateOutcome } from '../../domain/guard/gate-outcome';
import { toSafetyEvent, type SafetyEvent } from '../../domain/guard/safety-event';
import { parseSourceRef } from '../../domain/guard/source-ref';
import { loadManifest } from '../../db/guard/manifests';
import { requirePolicy } from '../../db/guard/policies';
import type { ApprovalRecord, ProposalFields, ReleaseBundle } from '../../domain/guard/proposal-record';
import {
  approvalIdUsed,
  findApproval,
  findDecision,
  findRelease,
  findSafetyEvent,
  insertApproval,
  insertDecision,
  insertProposal,
  insertRelease,
  insertSafetyEvent,
  requireProposalRow,
  setProposalState,
} from '../../db/guard/proposals';
import { requireReleaser } from '../../db/guard/releaser-role';

export const GUARD_HOOK_ID = 'warden.guard_loop';

// Each step of a proposal is one provenance entry; its kind, subject and retry key follow from the step.
function proposalStep(
  proposalId: string,
  step: 'created' | 'decided' | 'approved' | 'released' | 'expired',
  actor: string | null,
  payload: Record<string, unknown>,
): ProvenanceInput {
  const subject = `proposal:${proposalId}`;
  return { kind: `guard.proposal.${step}`, subject, actor, payload, idempotencyKey: `${subject}/${step}` };
}

function singleTenant(sourceRef: string): string {
  const { tenants } = parseSourceRef(sourceRef);
  return tenants.length === 1 ? tenants[0]! : '';
}

export interface DecisionInput extends ProposalFields {
  outcome: GateOutcome;
  approval_timeout_ms: number;
}

/**
 * Stores the proposal, its GuardDecision and the decision's safety event in one transaction, with
 * provenance entries for the proposal and the decision. Idempotent: a retry finds the rows and
 * returns the stored safety event.
 */
export async function recordProposalDecision(
  tx: pg.PoolClient,
  key: string,
  input: DecisionInput,
): Promise<SafetyEvent> {
  const policy = await requirePolicy(tx, input.policy_id);
  const manifest = await loadManifest(tx, input.manifest_id, input.source_ref);
  const allow = input.outcome.decision === 'allow';
  await insertProposal(
    tx,
    input,
    allow
      ? { state: 'awaiting_approval', approvalTimeoutMs: input.approval_timeout_ms }
      : { state: 'warned', approvalTimeoutMs: null },
  );
  const existing = await findSafetyEvent(tx, input.proposal_id);
  if (existing) return existing;

  const decision = buildGuardDecision({
    outcome: input.outcome,
    policy,
    proposal_type: input.proposal_type,
    proposal_id: input.proposal_id,
    manifest_id: manifest.manifest_id,
    event_refs: manifest.event_refs,
  });
  const event = toSafetyEvent(decision, {
    event_id: contentId('sevt_', {
      proposal_id: input.proposal_id,
      decision: decision.decision,
      reason: decision.reason,
    }),
    timestamp: new Date().toISOString(),
    hook_id: GUARD_HOOK_ID,
    hook_scope: 'agent',
    request_id: input.proposal_id,
    // A proposal drawn from exactly one tenant's feedback is that tenant's event; otherwise none.
    tenant_id: singleTenant(input.source_ref),
  });
  await insertDecision(tx, input.proposal_id, decision, input.outcome.gates);
  await insertSafetyEvent(tx, input.proposal_id, event);
  await appendProvenanceBatch(tx, key, [
    proposalStep(input.proposal_id, 'created', input.proposer, {
      proposal_type: input.proposal_type,
      policy_id: input.policy_id,
      manifest_id: manifest.manifest_id,
      event_count: manifest.event_count,
      rollback_id: input.rollback_id,
    }),
    proposalStep(input.proposal_id, 'decided', null, {
      decision: decision.decision,
      reason: decision.reason,
      risk_score: decision.risk_score,
      safety_event_id: event.event_id,
    }),
  ]);
  return event;
}

/** A refusal the approver must hear as such (not retried, reported to the caller). */
export class ApprovalRefusedError extends WardenError {
  constructor(message: string) {
    super('forbidden', message);
    this.name = 'ApprovalRefusedError';
  }
}

/**
 * Checks what the workflow's validator cannot (the approver exists and holds the policy's approver
 * role, the approval id is unused) and records the approval, under a row lock so two approvals
 * cannot both land. A retry of the same approval returns the stored record.
 */
export async function recordApproval(
  tx: pg.PoolClient,
  key: string,
  input: { proposal_id: string; approval_id: string; approver: string },
): Promise<ApprovalRecord> {
  const proposal = await requireProposalRow(tx, input.proposal_id, true);
  const already = await findApproval(tx, input.proposal_id);
  if (already) {
    if (already.approval_id === input.approval_id && already.approver === input.approver) return already;
    throw new ApprovalRefusedError('proposal is already approved');
  }
  const decision = await findDecision(tx, input.proposal_id);
  if (decision?.guard_decision.decision !== 'allow') {
    throw new ApprovalRefusedError(
      `cannot approve proposal with decision '${decision?.guard_decision.decision ?? 'none'}'`,
    );
  }
  if (proposal.state !== 'awaiting_approval')
    throw new ApprovalRefusedError(`proposal is not awaiting approval (state ${proposal.state})`);
  if (input.approver === proposal.proposer)
    throw new ApprovalRefusedError('the proposer cannot approve their own proposal');
  const policy = await requirePolicy(tx, proposal.policy_id);
  if (!(await findPrincipal(tx, input.approver)))
    throw new ApprovalRefusedError(`unknown principal "${input.approver}"`);
  if (!(await principalHasRole(tx, input.approver, policy.approver_role))) {
    throw new ApprovalRefusedError(
      `${input.approver} does not hold the role ${policy.approver_role} that policy ${policy.policy_id} requires of approvers`,
    );
  }
  if (await approvalIdUsed(tx, input.approval_id))
    throw new ApprovalRefusedError(`approval_id ${input.approval_id} is already used by another proposal`);
  await insertApproval(tx, {
    proposalId: input.proposal_id,
    approvalId: input.approval_id,
    approver: input.approver,
    approverRole: policy.approver_role,
  });
  await setProposalState(tx, input.proposal_id, 'approved');
  await appendProvenance(
    tx,
    key,
    proposalStep(input.proposal_id, 'approved', input.approver, {
      approval_id: input.approval_id,
      approver_role: policy.approver_role,
      policy_id: policy.policy_id,
    }),
  );
  return (await findApproval(tx, input.proposal_id))!;
}

/**
 * Keeps the released payload together with manifest, decision, approval, rollback id and who
 * released it, and returns the payload. Warden applies nothing: the payload is for an external
 * deployment controller.
 */
export async function recordRelease(
  tx: pg.PoolClient,
  key: string,
  proposalId: string,
  releaser?: string,
): Promise<Record<string, unknown>> {
  const proposal = await requireProposalRow(tx, proposalId, true);
  await requireReleaser(tx, proposal.policy_id, proposalId, releaser);
  const released = await findRelease(tx, proposalId);
  if (released) return released.payload;
  const approval = await findApproval(tx, proposalId);
  if (!approval || proposal.state !== 'approved')
    throw forbidden(`guard-loop proposal is not approved (state ${proposal.state})`);
  const decision = await findDecision(tx, proposalId);
  if (!decision || decision.guard_decision.decision !== 'allow') {
    throw forbidden(`cannot release proposal with decision '${decision?.guard_decision.decision ?? 'none'}'`);
  }
  const bundle: ReleaseBundle = {
    bundle_version: 'warden.guard_bundle.v1',
    proposal_id: proposalId,
    proposal_type: proposal.proposal_type,
    policy_id: proposal.policy_id,
    proposer: proposal.proposer,
    rollback_id: proposal.rollback_id,
    manifest: await loadManifest(tx, proposal.manifest_id, proposal.source_ref),
    guard_decision: decision.guard_decision,
    gates: decision.gates,
    approval,
    safety_event: (await findSafetyEvent(tx, proposalId)) ?? null,
    payload: proposal.payload,
    released_by: releaser,
    released_at: new Date().toISOString(),
  };
  await insertRelease(tx, proposalId, bundle);
  await setProposalState(tx, proposalId, 'released');
  await appendProvenance(
    tx,
    key,
    proposalStep(proposalId, 'released', releaser ?? null, {
      rollback_id: proposal.rollback_id,
      approval_id: approval.approval_id,
      payload_hash: contentId('', proposal.payload),
    }),
  );
  return proposal.payload;
}

/** The approval window closed without an approval: the proposal can no longer be approved. */
export async function recordExpiry(tx: pg.PoolClient, key: string, proposalId: string): Promise<void> {
  const proposal = await requireProposalRow(tx, proposalId, true);
  if (proposal.state === 'expired') return;
  if (proposal.state !== 'awaiting_approval')
    throw conflict(`proposal ${proposalId} cannot expire from state ${proposal.state}`);
  await setProposalState(tx, proposalId, 'expired');
  await appendProvenance(
    tx,
    key,
    proposalStep(proposalId, 'expired', null, { approval_deadline: proposal.approval_deadline?.toISOString() ?? null }),
  );
}
