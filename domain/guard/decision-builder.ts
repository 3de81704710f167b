import type { GateOutcome, ProposalType } from './gate-outcome';
import { tenantSafeAttributes, type GuardDecision } from './guard-decision';
import type { GuardPolicy } from './policy';

// The full GuardDecision as the original records it: the gate outcome plus the policy's risk
// envelope and the manifest's event refs as evidence.
export function buildGuardDecision(args: {
  outcome: GateOutcome;
  policy: GuardPolicy;
  proposal_type: ProposalType;
  proposal_id: string;
  manifest_id: string;
  event_refs: readonly string[];
}): GuardDecision {
  const { outcome } = args;
  return {
    decision: outcome.decision,
    risk_score: outcome.risk_score,
    confidence_low: outcome.confidence_low,
    confidence_high: outcome.confidence_high,
    policy_id: args.policy.policy_id,
    reason: outcome.reason,
    tenant_safe_explanation: outcome.tenant_safe_explanation,
    evidence_refs: [...args.event_refs],
    risk_envelope: args.policy.risk_envelope,
    attributes: tenantSafeAttributes({
      proposal_type: args.proposal_type,
      proposal_id: args.proposal_id,
      manifest_id: args.manifest_id,
    }),
  };
}
