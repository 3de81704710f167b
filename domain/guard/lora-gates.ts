import { z } from 'zod';
import { DEFAULT_MIN_FEEDBACK, minFeedbackSchema } from './calibration-gates';
import { describeCredentialFinding, findCredentials } from './dataset-uri';
import { KEY_TEXT_BYTES, storableText } from '../input/storable-text';
import { decide, type GateCheck, type GateOutcome } from './gate-outcome';
import { identifier } from './identifiers';
import { decimalDifference, unitInterval } from './unit-interval';

export const DEFAULT_MIN_IMPROVEMENT = 0;

// The credential check runs first and alone, as in the original: a URI with a secret is
// refused outright, before any other field is looked at or echoed in an error.
export const datasetUriSchema = storableText(KEY_TEXT_BYTES, { error: 'dataset_uri is required' })
  .superRefine((uri, ctx) => {
    const finding = findCredentials(uri);
    if (finding) {
      ctx.addIssue({ code: 'custom', message: describeCredentialFinding(finding), continue: false });
      return;
    }
    if (uri.trim() === '') ctx.addIssue({ code: 'custom', message: 'dataset_uri is required' });
    else if (/\s/.test(uri.trim())) ctx.addIssue({ code: 'custom', message: 'dataset_uri must not contain spaces' });
  })
  .transform((uri) => uri.trim());

export const loraRequestSchema = z.strictObject({
  dataset_uri: datasetUriSchema,
  base_model_ref: identifier('base_model_ref'),
  rollback_id: identifier('rollback_id'),
  heldout_score: unitInterval('heldout_score'),
  baseline_score: unitInterval('baseline_score'),
  min_improvement: z
    .number({ error: 'min_improvement must be a number' })
    .refine((v) => Number.isFinite(v) && v >= 0, { error: 'min_improvement must be finite and non-negative' })
    .default(DEFAULT_MIN_IMPROVEMENT),
  min_feedback: minFeedbackSchema.default(DEFAULT_MIN_FEEDBACK),
});
export type LoraRequest = z.infer<typeof loraRequestSchema>;
export type LoraRequestInput = z.input<typeof loraRequestSchema>;

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
