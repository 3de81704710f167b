import type { GuardDecisionKind } from './guard-decision';
import { clampUnit } from './unit-rules';

export const PROPOSAL_TYPES = ['calibration_update', 'lora_training_job'] as const;
export type ProposalType = (typeof PROPOSAL_TYPES)[number];

// One gate as evaluated, for `proposal show`: every gate is evaluated and listed, the first
// failing one (in the original's order) decides.
export interface GateCheck {
  gate: string;
  passed: boolean;
  observed: number;
  limit: number;
}

export interface GateOutcome {
  decision: Extract<GuardDecisionKind, 'allow' | 'warn'>;
  reason: string;
  tenant_safe_explanation: string;
  risk_score: number;
  confidence_low: number;
  confidence_high: number;
  gates: GateCheck[];
}

export interface GateVerdict {
  reason: string;
  tenant_safe_explanation: string;
  risk_score: number;
}

export function decide(
  gates: GateCheck[],
  verdictFor: (failing: GateCheck | undefined) => GateVerdict,
  interval: { confidence_low: number; confidence_high: number },
): GateOutcome {
  const failing = gates.find((g) => !g.passed);
  const verdict = verdictFor(failing);
  return {
    decision: failing ? 'warn' : 'allow',
    ...verdict,
    risk_score: clampUnit(verdict.risk_score),
    ...interval,
    gates,
  };
}
