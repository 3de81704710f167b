import { describe, expect, it } from 'vitest';
import { evaluateLoraGates, loraPayload } from '../../../domain/guard/lora-gates';
import { loraRequestSchema, type LoraRequestInput } from '../../../domain/guard/proposal-request-schemas';

const base: LoraRequestInput = {
  dataset_uri: 's3://bucket/set',
  base_model_ref: 'guard-base-v3',
  rollback_id: 'lora-rollback-1',
  heldout_score: 0.91,
  baseline_score: 0.88,
};
const request = (overrides: Partial<LoraRequestInput> = {}) => loraRequestSchema.parse({ ...base, ...overrides });

describe('LoRA gates', () => {
  it('defaults min_improvement 0 and min_feedback 32', () => {
    expect(request()).toMatchObject({ min_improvement: 0, min_feedback: 32 });
  });

  it('allows an improvement with risk = 1 - heldout', () => {
    expect(evaluateLoraGates(request(), 32)).toMatchObject({
      decision: 'allow',
      reason: 'self_improvement_training_ready',
      tenant_safe_explanation: 'Reviewed feedback supports a training-job proposal.',
      risk_score: 0.09,
      confidence_low: 0.88,
      confidence_high: 0.91,
    });
  });

  it('warns with risk 1.0 on insufficient feedback, before looking at scores', () => {
    const outcome = evaluateLoraGates(request({ heldout_score: 0.5 }), 10);
    expect(outcome).toMatchObject({
      decision: 'warn',
      reason: 'self_improvement_insufficient_feedback',
      tenant_safe_explanation: 'Reviewed feedback is insufficient for training proposal.',
      risk_score: 1,
    });
  });

  it('warns on a held-out regression with risk = shortfall', () => {
    const outcome = evaluateLoraGates(request({ heldout_score: 0.85, baseline_score: 0.88 }), 32);
    expect(outcome).toMatchObject({
      decision: 'warn',
      reason: 'self_improvement_heldout_regression',
      tenant_safe_explanation: 'Held-out score does not clear the promotion gate.',
      risk_score: 0.03,
      confidence_low: 0.85,
      confidence_high: 0.88,
    });
  });

  it('allows no change at the default min_improvement 0 (>=)', () => {
    expect(evaluateLoraGates(request({ heldout_score: 0.88 }), 32).decision).toBe('allow');
  });

  it('requires the configured improvement exactly, despite float noise', () => {
    expect(evaluateLoraGates(request({ min_improvement: 0.03 }), 32).decision).toBe('allow');
    const short = evaluateLoraGates(request({ min_improvement: 0.05 }), 32);
    expect(short).toMatchObject({ reason: 'self_improvement_heldout_regression', risk_score: 0.02 });
  });

  it('builds the original payload', () => {
    expect(loraPayload(request())).toEqual({
      dataset_uri: 's3://bucket/set',
      base_model_ref: 'guard-base-v3',
      heldout_score: 0.91,
      baseline_score: 0.88,
      min_improvement: 0,
    });
  });

  it.each([
    ['heldout_score', { heldout_score: 1.2 }],
    ['baseline_score', { baseline_score: -0.1 }],
    ['min_improvement', { min_improvement: -0.01 }],
    ['min_improvement', { min_improvement: Number.POSITIVE_INFINITY }],
    ['min_feedback', { min_feedback: -3 }],
    ['dataset_uri', { dataset_uri: '' }],
    ['dataset_uri', { dataset_uri: '   ' }],
    ['dataset_uri', { dataset_uri: 's3://bucket/my set' }],
    ['base_model_ref', { base_model_ref: '' }],
    ['rollback_id', { rollback_id: '' }],
  ])('refuses a bad %s', (field, overrides) => {
    const result = loraRequestSchema.safeParse({ ...base, ...overrides });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });
});
