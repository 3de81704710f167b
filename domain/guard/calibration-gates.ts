import { decide, type GateCheck, type GateOutcome } from './gate-outcome';
import type { CalibrationRequest } from './proposal-request';
import { decimalDifference } from './unit-rules';

// The request and its checks are in proposal-request.ts (the boundary's zod schema in
// proposal-request-schemas.ts): this module is the gates alone, which the workflow runs.
export type { CalibrationRequest } from './proposal-request';

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
