import { z } from 'zod';
import { DEFAULT_OPERATOR_ROLE, roleNameSchema } from '../authorization';
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
    /** Who may decide, promote, abort or extend this agent's endorsements. Set when the agent is created; an endorsement cannot change it. */
    operatorRole: roleNameSchema.default(DEFAULT_OPERATOR_ROLE),
    /**
     * The seed's log_requests. Off: a chat's prompt and answer are kept only until its shadow
     * samples are scored (at once when nothing is staged), then replaced by their SHA-256 and
     * length. Provenance and scoring are the same either way. Set when the agent is created.
     */
    logRequests: z.boolean().default(true),
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
    thresholds: z
      .strictObject({
        l1: z.number().gt(0).lt(1),
        l2: z.number().gt(0).lt(1),
        l3: z.number().gt(0).lte(1),
        judgeConfidence: z.number().min(0).max(1),
      })
      .partial(),
  })
  .partial();

export type SettingsOverrides = z.infer<typeof settingsOverridesSchema>;

/** An agent's settings as given at creation: the overrides, plus the role that operates its endorsements and log_requests. */
export const agentSettingsSchema = settingsOverridesSchema
  .extend({ operatorRole: roleNameSchema, logRequests: z.boolean() })
  .partial();

export type AgentSettings = z.infer<typeof agentSettingsSchema>;

export const DEFAULT_SETTINGS: EndorsementSettings = endorsementSettingsSchema.parse({});

/** Layers overrides on a base and validates the result as a whole (so l1 < l2 < l3 still holds). */
export function mergeSettings(base: EndorsementSettings, overrides: AgentSettings = {}): EndorsementSettings {
  return endorsementSettingsSchema.parse({
    ...base,
    ...overrides,
    thresholds: { ...base.thresholds, ...(overrides.thresholds ?? {}) },
  });
}
