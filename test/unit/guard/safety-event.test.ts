import { describe, expect, it } from 'vitest';
import { evaluateCalibrationGates } from '../../../domain/guard/calibration-gates';
import { calibrationRequestSchema } from '../../../domain/guard/proposal-request-schemas';
import { buildGuardDecision } from '../../../domain/guard/decision-builder';
import { tenantSafeAttributes } from '../../../domain/guard/guard-decision';
import type { GuardPolicy } from '../../../domain/guard/policy';
import { SafetyEventError, toSafetyEvent, validateSafetyEvent } from '../../../domain/guard/safety-event';

const policy: GuardPolicy = {
  policy_id: 'policy.self_improving.regulated',
  approver_role: 'safety-lead',
  risk_envelope: {
    action_category: 'training',
    reversibility: 'costly',
    domain: 'regulated',
    calibrated_threshold: 0.45,
    no_go_threshold: 0.8,
  },
};
const outcome = evaluateCalibrationGates(
  calibrationRequestSchema.parse({
    current_threshold: 0.55,
    candidate_threshold: 0.58,
    confidence_low: 0.51,
    confidence_high: 0.61,
    rollback_id: 'rb',
  }),
  32,
);
const decision = buildGuardDecision({
  outcome,
  policy,
  proposal_type: 'calibration_update',
  proposal_id: 'guard-loop-abc',
  manifest_id: 'reviewed-feedback-def',
  event_refs: ['e1', 'e2'],
});
const options = { event_id: 'sevt_1', timestamp: '2026-05-13T10:00:00.000Z', hook_id: 'guard-loop' };

describe('guard decision', () => {
  it('carries the envelope, evidence and tenant-safe attributes', () => {
    expect(decision).toMatchObject({
      decision: 'allow',
      policy_id: policy.policy_id,
      reason: 'self_improvement_calibration_ready',
      evidence_refs: ['e1', 'e2'],
      risk_envelope: policy.risk_envelope,
      attributes: {
        proposal_type: 'calibration_update',
        proposal_id: 'guard-loop-abc',
        manifest_id: 'reviewed-feedback-def',
      },
    });
  });

  it('drops attributes whose key names sensitive material', () => {
    expect(
      tenantSafeAttributes({
        ok: '1',
        prompt_hash: 'x',
        api_token: 'y',
        private_key: 'z',
        Raw_Text: 'w',
        token_id: 'kept',
      }),
    ).toEqual({ ok: '1', token_id: 'kept' });
  });
});

describe('safety events', () => {
  it('maps a decision to the original fields', () => {
    const event = toSafetyEvent(decision, { ...options, tenant_id: 'acme', request_id: 'req-1' });
    expect(event).toEqual({
      schema_version: 'director.safety_event.v1',
      event_id: 'sevt_1',
      timestamp: '2026-05-13T10:00:00.000Z',
      request_id: 'req-1',
      tenant_id: 'acme',
      hook_id: 'guard-loop',
      hook_scope: 'agent',
      policy_decision: 'allow',
      halt_reason: 'self_improvement_calibration_ready',
      threshold: 0.45,
      observed_score: 0.03,
      latency_ms: null,
      evidence_refs: ['e1', 'e2'],
      tenant_safe_explanation: 'Reviewed feedback supports a calibration proposal.',
      trace_attribution: null,
      attributes: {
        policy_id: 'policy.self_improving.regulated',
        risk_domain: 'regulated',
        action_category: 'training',
        reversibility: 'costly',
        proposal_type: 'calibration_update',
        proposal_id: 'guard-loop-abc',
        manifest_id: 'reviewed-feedback-def',
      },
    });
  });

  it.each(['credential', 'password', 'prompt', 'secret', 'token', 'raw', 'image', 'sensor', 'private_key'])(
    'refuses the word "%s" in free text',
    (word) => {
      const event = toSafetyEvent(decision, options);
      expect(() =>
        validateSafetyEvent({ ...event, tenant_safe_explanation: `Contains ${word.toUpperCase()} text` }),
      ).toThrow(/tenant_safe_explanation must be tenant-safe/);
      expect(() => validateSafetyEvent({ ...event, evidence_refs: [`ev-${word}`] })).toThrow(/evidence_refs/);
      expect(() => validateSafetyEvent({ ...event, attributes: { note: `${word}` } })).toThrow(/attributes/);
      expect(() => validateSafetyEvent({ ...event, attributes: { [`${word}_x`]: 'v' } })).toThrow(/attributes key/);
      expect(() => validateSafetyEvent({ ...event, halt_reason: `r_${word}` })).toThrow(/halt_reason/);
    },
  );

  it('allows token_id as the original does', () => {
    const event = toSafetyEvent(decision, options);
    expect(validateSafetyEvent({ ...event, attributes: { token_id: 'token_id' } }).attributes).toEqual({
      token_id: 'token_id',
    });
  });

  it.each([
    ['timestamp', { timestamp: '2026-05-13T12:00:00+02:00' }],
    ['timestamp', { timestamp: '2026-05-13 10:00:00Z' }],
    ['timestamp', { timestamp: '2026-13-45T10:00:00Z' }],
    ['event_id', { event_id: 'evt_1' }],
    ['schema_version', { schema_version: 'v2' }],
    ['hook_scope', { hook_scope: 'planet' }],
    ['policy_decision', { policy_decision: 'maybe' }],
    ['hook_id', { hook_id: ' ' }],
    ['threshold', { threshold: 1.5 }],
    ['observed_score', { observed_score: -0.2 }],
    ['latency_ms', { latency_ms: -1 }],
    ['unknown', { unknown: 'x' }],
  ])('refuses a bad %s', (field, overrides) => {
    const event = toSafetyEvent(decision, options);
    try {
      validateSafetyEvent({ ...event, ...overrides });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SafetyEventError);
      expect((error as SafetyEventError).message).toMatch(
        field === 'unknown' ? /unrecognized|unknown/i : new RegExp(field),
      );
    }
  });

  it('accepts null threshold, score and latency', () => {
    const event = toSafetyEvent(decision, options);
    expect(validateSafetyEvent({ ...event, threshold: null, observed_score: null, latency_ms: 12.5 }).latency_ms).toBe(
      12.5,
    );
  });

  it('refuses to build an event whose evidence refs are not tenant-safe', () => {
    expect(() => toSafetyEvent({ ...decision, evidence_refs: ['prompt-17'] }, options)).toThrow(SafetyEventError);
  });
});
