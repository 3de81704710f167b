import { z } from 'zod';
import { INT4_MAX } from '../input/storable-int';
import { decide, type GateCheck, type GateOutcome } from './gate-outcome';
import { identifier } from './identifiers';
import { decimalDifference, unitInterval } from './unit-interval';

export const DEFAULT_MIN_FEEDBACK = 32;
export const DEFAULT_MAX_INTERVAL_WIDTH = 0.1;

// Compared with a count of stored rows (an int4 column's range).
export const minFeedbackSchema = z
  .number({ error: 'min_feedback must be a number' })
  .int('min_feedback must be a whole number')
  .positive('min_feedback must be positive')
  .max(INT4_MAX, `min_feedback must be at most ${INT4_MAX}`);

export const calibrationRequestSchema = z
  .strictObject({
    current_threshold: unitInterval('current_threshold'),
    candidate_threshold: unitInterval('candidate_threshold'),
    confidence_low: unitInterval('confidence_low'),
    confidence_high: unitInterval('confidence_high'),
    rollback_id: identifier('rollback_id'),
    min_feedback: minFeedbackSchema.default(DEFAULT_MIN_FEEDBACK),
    max_interval_width: unitInterval('max_interval_width').default(DEFAULT_MAX_INTERVAL_WIDTH),
  })
  .refine((r) => r.confidence_low <= r.confidence_high, {
    error: 'confidence_low must be <= confidence_high',
    path: ['confidence_low'],
  });
export type CalibrationRequest = z.infer<typeof calibrationRequestSchema>;
export type CalibrationRequestInput = z.input<typeof calibrationRequestSchema>;

export const CALIBRATION_REASONS = {
  insufficientFeedback: 'self_improvement_insufficient_feedback',
  intervalTooWide: 'self_improvement_interval_too_wide',
  ready: 'self_improvement_calibration_ready',
} as const;

// Original order: enough feedback first, then interval width; risk is 1.0, the width, or the
// size of the threshold move respectively.
export function evaluateCalibrationGates(request: CalibrationRequest, eventCount: number): GateOutcome {
  const width = decimalDifference(request.confidence_high, request.confidence_low);
  const gates: GateCheck[] = [
    {
      gate: 'min_feedback',
      passed: eventCount >= request.min_feedback,
      observed: eventCount,
      limit: request.min_feedback,
    },
    {
      gate: 'max_interval_width',
      passed: width <= request.max_interval_width,
      observed: width,
      limit: request.max_interval_width,
    },
  ];
  return decide(
    gates,
    (failing) => {
      if (failing?.gate === 'min_feedback') {
        return {
          reason: CALIBRATION_REASONS.insufficientFeedback,
          tenant_safe_explanation: 'Reviewed feedback is insufficient for promotion.',
          risk_score: 1,
        };
      }
      if (failing?.gate === 'max_interval_width') {
        return {
          reason: CALIBRATION_REASONS.intervalTooWide,
          tenant_safe_explanation: 'Calibration interval is too wide for promotion.',
          risk_score: width,
        };
      }
      return {
        reason: CALIBRATION_REASONS.ready,
        tenant_safe_explanation: 'Reviewed feedback supports a calibration proposal.',
        risk_score: Math.abs(decimalDifference(request.candidate_threshold, request.current_threshold)),
      };
    },
    { confidence_low: request.confidence_low, confidence_high: request.confidence_high },
  );
}

export interface CalibrationPayload {
  current_threshold: number;
  candidate_threshold: number;
  calibration_size: number;
  max_interval_width: number;
}

export function calibrationPayload(request: CalibrationRequest, eventCount: number): CalibrationPayload {
  return {
    current_threshold: request.current_threshold,
    candidate_threshold: request.candidate_threshold,
    calibration_size: eventCount,
    max_interval_width: request.max_interval_width,
  };
}
