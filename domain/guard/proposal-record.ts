import type { GateCheck, ProposalType } from './gate-outcome';
import type { GuardDecision } from './guard-decision';
import type { ReviewedFeedbackManifest } from './manifest';
import type { ProposalState } from './proposal-state';
import type { SafetyEvent } from './safety-event';

/** What a proposal is stored with: the ids it refers to, its request and the payload a release hands over. */
export interface ProposalFields {
  proposal_id: string;
  proposal_type: ProposalType;
  policy_id: string;
  manifest_id: string;
  source_ref: string;
  request: Record<string, unknown>;
  payload: Record<string, unknown>;
  rollback_id: string;
  proposer: string;
}

export interface ApprovalRecord {
  approval_id: string;
  approver: string;
  approver_role: string;
  approved_at: string;
}

/** What `proposal show` prints: decision, reason, risk, gates and manifest; never text. */
export interface ProposalView {
  proposal_id: string;
  proposal_type: ProposalType;
  policy_id: string;
  state: ProposalState;
  proposer: string;
  rollback_id: string;
  source_ref: string;
  request: Record<string, unknown>;
  decision: {
    decision: GuardDecision['decision'];
    reason: string;
    risk_score: number;
    confidence_low: number;
    confidence_high: number;
    tenant_safe_explanation: string;
    gates: GateCheck[];
  } | null;
  manifest: ReviewedFeedbackManifest;
  approval: ApprovalRecord | null;
  approval_deadline: string | null;
  released_at: string | null;
  safety_event_id: string | null;
  // The seed's GuardLoopProposal.to_dict() fields, so code written against the original reads ours.
  /** What release() hands to the deployment controller (kept from the proposal's creation). */
  payload: Record<string, unknown>;
  /** Always false: Warden never submits a job or applies a payload. */
  submitted: false;
  /** Always 'proposed': only the external deployment controller promotes. */
  promotion_status: 'proposed';
  approved: boolean;
  /** The approval's id, '' until approved (as the original's default). */
  approval_id: string;
  /** The full GuardDecision (null while the gates are still running). */
  guard_decision: GuardDecision | null;
}

/** The audit record kept at release and exported by `proposal bundle`. */
export interface ReleaseBundle {
  bundle_version: 'warden.guard_bundle.v1';
  proposal_id: string;
  proposal_type: ProposalType;
  policy_id: string;
  proposer: string;
  rollback_id: string;
  manifest: ReviewedFeedbackManifest;
  guard_decision: GuardDecision;
  gates: GateCheck[];
  approval: ApprovalRecord;
  safety_event: SafetyEvent | null;
  payload: Record<string, unknown>;
  /** Who released it (the policy's approver role or admin); absent in bundles kept before releasers were recorded. */
  released_by?: string;
  released_at: string;
}
