import { z } from 'zod';
import { WardenError } from '../errors';
import { GUARD_DECISIONS, type GuardDecision } from './guard-decision';
import { forbiddenPartIn } from './tenant-safe-text';
import { isUtcZTimestamp } from './utc-timestamp';

// The original's schema version string, kept so consumers of director-ai events read ours.
export const SAFETY_EVENT_SCHEMA_VERSION = 'director.safety_event.v1';
export const HOOK_SCOPES = [
  'streaming',
  'containment',
  'attestation',
  'ontology',
  'trajectory',
  'cyber_physical',
  'inference_server',
  'swarm',
  'agent',
] as const;

function tenantSafe(what: string) {
  return z.string({ error: `${what} must be a string` }).refine((v) => forbiddenPartIn(v) === undefined, {
    error: (issue) => `${what} must be tenant-safe (contains "${forbiddenPartIn(String(issue.input))}")`,
  });
}

function optionalScore(what: string) {
  return z
    .number({ error: `${what} must be a number or null` })
    .refine((v) => Number.isFinite(v) && v >= 0 && v <= 1, { error: `${what} must be in [0, 1]` })
    .nullable();
}

export const safetyEventSchema = z.strictObject({
  schema_version: z.literal(SAFETY_EVENT_SCHEMA_VERSION, {
    error: `schema_version must be ${SAFETY_EVENT_SCHEMA_VERSION}`,
  }),
  event_id: z.string().regex(/^sevt_.+$/, 'event_id must start with sevt_'),
  timestamp: z.string().refine(isUtcZTimestamp, { error: 'timestamp must be UTC ISO-8601 ending in Z' }),
  request_id: z.string(),
  tenant_id: z.string(),
  hook_id: tenantSafe('hook_id').refine((v) => v.trim() !== '', { error: 'hook_id is required' }),
  hook_scope: z.enum(HOOK_SCOPES, { error: `hook_scope must be one of ${HOOK_SCOPES.join(', ')}` }),
  policy_decision: z.enum(GUARD_DECISIONS, {
    error: `policy_decision must be one of ${GUARD_DECISIONS.join(', ')}`,
  }),
  halt_reason: tenantSafe('halt_reason').refine((v) => v.trim() !== '', { error: 'halt_reason is required' }),
  threshold: optionalScore('threshold'),
  observed_score: optionalScore('observed_score'),
  latency_ms: z
    .number()
    .refine((v) => Number.isFinite(v) && v >= 0, { error: 'latency_ms must be non-negative' })
    .nullable(),
  evidence_refs: z.array(tenantSafe('evidence_refs')),
  tenant_safe_explanation: tenantSafe('tenant_safe_explanation').refine((v) => v.trim() !== '', {
    error: 'tenant_safe_explanation is required',
  }),
  // The guard loop has no trace attribution; the field is kept (always null) for schema parity.
  trace_attribution: z.null(),
  attributes: z
    .record(z.string(), z.string({ error: 'attributes values must be strings' }))
    .superRefine((attributes, ctx) => {
      for (const [key, value] of Object.entries(attributes)) {
        const part = forbiddenPartIn(key) ?? forbiddenPartIn(value);
        if (part !== undefined) {
          const where = forbiddenPartIn(key) !== undefined ? 'attributes key' : 'attributes';
          ctx.addIssue({ code: 'custom', message: `${where} must be tenant-safe (contains "${part}")`, path: [key] });
        }
      }
    }),
});
export type SafetyEvent = z.infer<typeof safetyEventSchema>;

export class SafetyEventError extends WardenError {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super('invalid', `safety event ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'SafetyEventError';
  }
}

export function validateSafetyEvent(payload: unknown): SafetyEvent {
  const parsed = safetyEventSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SafetyEventError(issue?.path.join('.') ?? '', issue?.message ?? 'invalid');
  }
  return parsed.data;
}

export interface SafetyEventOptions {
  event_id: string;
  timestamp: string;
  hook_id: string;
  hook_scope?: (typeof HOOK_SCOPES)[number];
  request_id?: string;
  tenant_id?: string;
  latency_ms?: number | null;
}

// Mirrors the original GuardDecision.to_safety_event mapping (threshold = the envelope's
// calibrated threshold, observed score = risk score), then validates: a decision that would
// produce an unsafe event is refused rather than emitted.
export function toSafetyEvent(decision: GuardDecision, options: SafetyEventOptions): SafetyEvent {
  return validateSafetyEvent({
    schema_version: SAFETY_EVENT_SCHEMA_VERSION,
    event_id: options.event_id,
    timestamp: options.timestamp,
    request_id: options.request_id ?? '',
    tenant_id: options.tenant_id ?? '',
    hook_id: options.hook_id,
    hook_scope: options.hook_scope ?? 'agent',
    policy_decision: decision.decision,
    halt_reason: decision.reason,
    threshold: decision.risk_envelope.calibrated_threshold,
    observed_score: decision.risk_score,
    latency_ms: options.latency_ms ?? null,
    evidence_refs: [...decision.evidence_refs],
    tenant_safe_explanation: decision.tenant_safe_explanation,
    trace_attribution: null,
    attributes: {
      policy_id: decision.policy_id,
      risk_domain: decision.risk_envelope.domain,
      action_category: decision.risk_envelope.action_category,
      reversibility: decision.risk_envelope.reversibility,
      ...decision.attributes,
    },
  });
}
