import { z } from 'zod';
import { riskEnvelopeSchema } from './risk-envelope';
import { forbiddenPartIn } from './tenant-safe-text';
import { unitInterval } from './unit-interval';

export const GUARD_DECISIONS = ['allow', 'warn', 'halt', 'block'] as const;
export type GuardDecisionKind = (typeof GUARD_DECISIONS)[number];

// The original's GuardDecision without verifier signals (the guard loop never has any).
export const guardDecisionSchema = z
  .strictObject({
    decision: z.enum(GUARD_DECISIONS),
    risk_score: unitInterval('risk_score'),
    confidence_low: unitInterval('confidence_low'),
    confidence_high: unitInterval('confidence_high'),
    policy_id: z.string().min(1, 'policy_id is required'),
    reason: z.string().min(1, 'reason is required'),
    tenant_safe_explanation: z.string().min(1, 'tenant_safe_explanation is required'),
    evidence_refs: z.array(z.string()),
    risk_envelope: riskEnvelopeSchema,
    attributes: z.record(z.string(), z.string()),
  })
  .refine((d) => d.confidence_low <= d.confidence_high, {
    error: 'confidence_low must be <= confidence_high',
    path: ['confidence_low'],
  });
export type GuardDecision = z.infer<typeof guardDecisionSchema>;

// As in the original, attributes whose KEY names sensitive material are dropped silently:
// the decision stays valid, it just cannot carry them.
export function tenantSafeAttributes(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([key]) => forbiddenPartIn(key) === undefined));
}
