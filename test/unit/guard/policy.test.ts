import { describe, expect, it } from 'vitest';
import { guardPolicySchema } from '../../../domain/guard/policy';
import {
  ACTION_CATEGORIES,
  REVERSIBILITY,
  RISK_DOMAINS,
  riskEnvelopeSchema,
} from '../../../domain/guard/risk-envelope';

const envelope = {
  action_category: 'training',
  reversibility: 'costly',
  domain: 'regulated',
  calibrated_threshold: 0.45,
  no_go_threshold: 0.8,
};

describe('risk envelope and policy', () => {
  it('accepts the seed envelope and policy', () => {
    expect(
      guardPolicySchema.parse({
        policy_id: 'policy.self_improving.regulated',
        risk_envelope: envelope,
        approver_role: 'safety-lead',
      }).risk_envelope,
    ).toEqual(envelope);
  });

  it('has the original enumerations', () => {
    expect(ACTION_CATEGORIES).toEqual([
      'text',
      'tool',
      'code',
      'physical',
      'training',
      'inference_steering',
      'multimodal',
      'sustainability',
      'identity',
    ]);
    expect(REVERSIBILITY).toEqual(['reversible', 'costly', 'irreversible']);
    expect(RISK_DOMAINS).toEqual(['general', 'regulated', 'physical', 'financial', 'medical', 'legal', 'security']);
    for (const action_category of ACTION_CATEGORIES) {
      expect(riskEnvelopeSchema.safeParse({ ...envelope, action_category }).success).toBe(true);
    }
  });

  it.each([
    ['action_category', { action_category: 'deploy' }],
    ['reversibility', { reversibility: 'cheap' }],
    ['domain', { domain: 'retail' }],
    ['calibrated_threshold', { calibrated_threshold: 1.2 }],
    ['no_go_threshold', { no_go_threshold: -0.1 }],
    ['no_go_threshold', { no_go_threshold: Number.NaN }],
    ['extra', { extra: 1 }],
  ])('refuses a bad envelope (%s)', (_field, overrides) => {
    expect(riskEnvelopeSchema.safeParse({ ...envelope, ...overrides }).success).toBe(false);
  });

  it('names the field in the error', () => {
    const result = riskEnvelopeSchema.safeParse({ ...envelope, domain: 'retail' });
    expect(result.error?.issues[0]?.path).toEqual(['domain']);
    expect(result.error?.issues[0]?.message).toContain('domain must be one of');
  });

  it('requires policy id and approver role', () => {
    expect(guardPolicySchema.safeParse({ policy_id: '', risk_envelope: envelope, approver_role: 'x' }).success).toBe(
      false,
    );
    expect(guardPolicySchema.safeParse({ policy_id: 'p', risk_envelope: envelope, approver_role: '' }).success).toBe(
      false,
    );
    expect(
      guardPolicySchema.safeParse({ policy_id: 'p.secret', risk_envelope: envelope, approver_role: 'r' }).success,
    ).toBe(false);
  });
});
