import { decide, type GateCheck, type GateOutcome } from './gate-outcome';
import type { LoraRequest } from './proposal-request';
import { decimalDifference } from './unit-rules';

// The request and its checks are in proposal-request.ts (the boundary's zod schema in
// proposal-request-schemas.ts): this module is the gates alone, which the workflow runs.
export type { LoraRequest } from './proposal-request';

export const LORA_REASONS = {
  insufficientFeedback: 'self_improvement_insufficient_feedback',
  heldoutRegression: 'self_improvement_heldout_regression',
  ready: 'self_improvement_training_ready',
} as const;

// Original order: enough feedback, then held-out improvement over baseline. Risk is 1.0, the
// shortfall below the required improvement, or 1 - held-out score.
export function evaluateLoraGates(request: LoraRequest, eventCount: number): GateOutcome {
  const improvement = decimalDifference(request.heldout_score, request.baseline_score);
  const gates: GateCheck[] = [
    {
      gate: 'min_feedback',
      passed: eventCount >= request.min_feedback,
      observed: eventCount,
      limit: request.min_feedback,
    },
    {
      gate: 'min_improvement',
      passed: improvement >= request.min_improvement,
      observed: improvement,
      limit: request.min_improvement,
    },
  ];
  return decide(
    gates,
    (failing) => {
      if (failing?.gate === 'min_feedback') {
        return {
          reason: LORA_REASONS.insufficientFeedback,
          tenant_safe_explanation: 'Reviewed feedback is insufficient for training proposal.',
          risk_score: 1,
        };
      }
      if (failing?.gate === 'min_improvement') {
        return {
          reason: LORA_REASONS.heldoutRegression,
          tenant_safe_explanation: 'Held-out score does not clear the promotion gate.',
          risk_score: decimalDifference(request.min_improvement, improvement),
        };
      }
      return {
        reason: LORA_REASONS.ready,
        tenant_safe_explanation: 'Reviewed feedback supports a training-job proposal.',
        risk_score: decimalDifference(1, request.heldout_score),
      };
    },
    {
      confidence_low: Math.min(request.baseline_score, request.heldout_score),
      confidence_high: Math.max(request.baseline_score, request.heldout_score),
    },
  );
}

export interface LoraPayload {
  dataset_uri: string;
  base_model_ref: string;
  heldout_score: number;
  baseline_score: number;
  min_improvement: number;
}

export function loraPayload(request: LoraRequest): LoraPayload {
  return {
    dataset_uri: request.dataset_uri,
    base_model_ref: request.base_model_ref,
    heldout_score: request.heldout_score,
    baseline_score: request.baseline_score,
    min_improvement: request.min_improvement,
  };
}
