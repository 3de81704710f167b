import { describe, expect, it } from 'vitest';
import { calibrationPayload, evaluateCalibrationGates } from '../../../domain/guard/calibration-gates';
import { calibrationRequestSchema, type CalibrationRequestInput } from '../../../domain/guard/proposal-request-schemas';

const seed: CalibrationRequestInput = {
  current_threshold: 0.55,
  candidate_threshold: 0.58,
  confidence_low: 0.51,
  confidence_high: 0.61,
  rollback_id: 'threshold-profile-20260513-a',
};
const request = (overrides: Partial<CalibrationRequestInput> = {}) =>
  calibrationRequestSchema.parse({ ...seed, ...overrides });

describe('calibration gates', () => {
  it('applies the defaults min_feedback 32 and max_interval_width 0.1', () => {
    expect(request()).toMatchObject({ min_feedback: 32, max_interval_width: 0.1 });
  });

  it('allows the seed example with a risk equal to the threshold move', () => {
    const outcome = evaluateCalibrationGates(request(), 32);
    expect(outcome).toMatchObject({
      decision: 'allow',
      reason: 'self_improvement_calibration_ready',
      tenant_safe_explanation: 'Reviewed feedback supports a calibration proposal.',
      risk_score: 0.03,
      confidence_low: 0.51,
      confidence_high: 0.61,
    });
    expect(outcome.gates.every((g) => g.passed)).toBe(true);
  });

  it('warns with risk 1.0 when feedback is short by one', () => {
    const outcome = evaluateCalibrationGates(request(), 31);
    expect(outcome).toMatchObject({
      decision: 'warn',
      reason: 'self_improvement_insufficient_feedback',
      tenant_safe_explanation: 'Reviewed feedback is insufficient for promotion.',
      risk_score: 1,
    });
    expect(outcome.gates[0]).toEqual({ gate: 'min_feedback', passed: false, observed: 31, limit: 32 });
  });

  it('checks feedback before interval width (original order)', () => {
    const outcome = evaluateCalibrationGates(request({ confidence_low: 0.2, confidence_high: 0.9 }), 3);
    expect(outcome.reason).toBe('self_improvement_insufficient_feedback');
    expect(outcome.gates.map((g) => [g.gate, g.passed])).toEqual([
      ['min_feedback', false],
      ['max_interval_width', false],
    ]);
  });

  it('warns with risk = width when the interval is too wide', () => {
    const outcome = evaluateCalibrationGates(request({ confidence_low: 0.5, confidence_high: 0.75 }), 40);
    expect(outcome).toMatchObject({
      decision: 'warn',
      reason: 'self_improvement_interval_too_wide',
      tenant_safe_explanation: 'Calibration interval is too wide for promotion.',
      risk_score: 0.25,
    });
  });

  it('allows an interval exactly as wide as the limit, despite float noise', () => {
    // 0.4 - 0.3 is 0.10000000000000003 in binary floating point.
    const outcome = evaluateCalibrationGates(request({ confidence_low: 0.3, confidence_high: 0.4 }), 32);
    expect(outcome.decision).toBe('allow');
  });

  it('warns just past the limit', () => {
    const outcome = evaluateCalibrationGates(request({ confidence_low: 0.3, confidence_high: 0.4000001 }), 32);
    expect(outcome.reason).toBe('self_improvement_interval_too_wide');
  });

  it('honours custom min_feedback and max_interval_width', () => {
    expect(evaluateCalibrationGates(request({ min_feedback: 5 }), 5).decision).toBe('allow');
    const wide = request({ max_interval_width: 0.3, confidence_low: 0.4, confidence_high: 0.65 });
    expect(evaluateCalibrationGates(wide, 32).decision).toBe('allow');
  });

  it('reports the risk of a downward move as its absolute size', () => {
    const outcome = evaluateCalibrationGates(request({ candidate_threshold: 0.45 }), 32);
    expect(outcome.risk_score).toBe(0.1);
  });

  it('builds the original payload', () => {
    expect(calibrationPayload(request(), 40)).toEqual({
      current_threshold: 0.55,
      candidate_threshold: 0.58,
      calibration_size: 40,
      max_interval_width: 0.1,
    });
  });

  it.each([
    ['current_threshold', { current_threshold: -0.01 }],
    ['current_threshold', { current_threshold: 1.01 }],
    ['candidate_threshold', { candidate_threshold: Number.NaN }],
    ['candidate_threshold', { candidate_threshold: Number.POSITIVE_INFINITY }],
    ['confidence_low', { confidence_low: -1 }],
    ['confidence_high', { confidence_high: 2 }],
    ['confidence_low', { confidence_low: 0.7, confidence_high: 0.6 }],
    ['max_interval_width', { max_interval_width: 1.5 }],
    ['min_feedback', { min_feedback: 0 }],
    ['min_feedback', { min_feedback: 2.5 }],
    ['rollback_id', { rollback_id: '' }],
    ['rollback_id', { rollback_id: undefined }],
  ])('refuses an out-of-range %s', (field, overrides) => {
    const result = calibrationRequestSchema.safeParse({ ...seed, ...overrides });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });

  it('accepts the closed ends of [0, 1] and low == high', () => {
    const edge = calibrationRequestSchema.safeParse({
      ...seed,
      current_threshold: 0,
      candidate_threshold: 1,
      confidence_low: 0.5,
      confidence_high: 0.5,
    });
    expect(edge.success).toBe(true);
  });
});
