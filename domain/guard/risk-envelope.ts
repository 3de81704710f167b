import { z } from 'zod';
import { unitInterval } from './unit-interval';

// Enumerations of the original director-ai RiskEnvelope, so envelopes written for it load here.
export const ACTION_CATEGORIES = [
  'text',
  'tool',
  'code',
  'physical',
  'training',
  'inference_steering',
  'multimodal',
  'sustainability',
  'identity',
] as const;
export const REVERSIBILITY = ['reversible', 'costly', 'irreversible'] as const;
export const RISK_DOMAINS = ['general', 'regulated', 'physical', 'financial', 'medical', 'legal', 'security'] as const;

export const riskEnvelopeSchema = z.strictObject({
  action_category: z.enum(ACTION_CATEGORIES, {
    error: `action_category must be one of ${ACTION_CATEGORIES.join(', ')}`,
  }),
  reversibility: z.enum(REVERSIBILITY, {
    error: `reversibility must be one of ${REVERSIBILITY.join(', ')}`,
  }),
  domain: z.enum(RISK_DOMAINS, { error: `domain must be one of ${RISK_DOMAINS.join(', ')}` }),
  calibrated_threshold: unitInterval('calibrated_threshold'),
  no_go_threshold: unitInterval('no_go_threshold'),
});
export type RiskEnvelope = z.infer<typeof riskEnvelopeSchema>;
