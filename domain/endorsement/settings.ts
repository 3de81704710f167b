import { z } from 'zod';
import { int4 } from '../input/storable-int';
import { timerSeconds } from '../input/timer-duration';

export const divergenceThresholdsSchema = z
  .object({
    l1: z.number().gt(0).lt(1).default(0.15),
    l2: z.number().gt(0).lt(1).default(0.3),
    l3: z.number().gt(0).lte(1).default(0.5),
    judgeConfidence: z.number().min(0).max(1).default(0.6),
  })
  .refine((t) => t.l1 < t.l2 && t.l2 < t.l3, { message: 'thresholds must satisfy l1 < l2 < l3', path: ['l2'] });

export type DivergenceThresholds = z.infer<typeof divergenceThresholdsSchema>;

// Cooldowns and the decision timeout become Temporal timers and stored deadlines: bounded by what
// those accept (domain/input/timer-duration.ts), so no setting can wedge an endorsement.
const seconds = timerSeconds(0);
const positiveSeconds = timerSeconds(1);

/** Per-agent endorsement settings; an endorsement may override any of them. */
export const endorsementSettingsSchema = z
  .object({
    cooldownBaseSeconds: seconds.default(300),
    cooldownMaxSeconds: positiveSeconds.default(3600),
    noProbePenaltySeconds: seconds.default(120),
    minSamples: int4(0).default(20),
    samplingRate: z.number().min(0).max(1).default(1),
    decisionTimeoutSeconds: positiveSeconds.default(7 * 24 * 3600),
    thresholds: divergenceThresholdsSchema.default({ l1: 0.15, l2: 0.3, l3: 0.5, judgeConfidence: 0.6 }),
  })
  .refine((s) => s.cooldownBaseSeconds <= s.cooldownMaxSeconds, {
    message: 'cooldownBaseSeconds must not exceed cooldownMaxSeconds',
    path: ['cooldownBaseSeconds'],
  });

export type EndorsementSettings = z.infer<typeof endorsementSettingsSchema>;

/** Partial settings as accepted from flags, API bodies and client options; unknown keys are refused. */
export const settingsOverridesSchema = z
  .strictObject({
    cooldownBaseSeconds: seconds,
    cooldownMaxSeconds: positiveSeconds,
    noProbePenaltySeconds: seconds,
    minSamples: int4(0),
    samplingRate: z.number().min(0).max(1),
    decisionTimeoutSeconds: positiveSeconds,
    thresholds: z.strictObject({
      l1: z.number().gt(0).lt(1),
      l2: z.number().gt(0).lt(1),
      l3: z.number().gt(0).lte(1),
      judgeConfidence: z.number().min(0).max(1),
    }).partial(),
  })
  .partial();

export type SettingsOverrides = z.infer<typeof settingsOverridesSchema>;

export const DEFAULT_SETTINGS: EndorsementSettings = endorsementSettingsSchema.parse({});

/** Layers overrides on a base and validates the result as a whole (so l1 < l2 < l3 still holds). */
export function mergeSettings(base: EndorsementSettings, overrides: SettingsOverrides = {}): EndorsementSettings {
  return endorsementSettingsSchema.parse({
    ...base,
    ...overrides,
    thresholds: { ...base.thresholds, ...(overrides.thresholds ?? {}) },
  });
}
