import { z } from 'zod';
import { ReviewOutputKindSchema } from './review-output-kind';

export { ReviewOutputKindSchema, type ReviewOutputKind } from './review-output-kind';

/**
 * ABP v1 (Authority Boundary Primitive), field for field the original DeepSigma
 * `abp_v1.json` (JSON Schema draft 2020-12): every object closed (additionalProperties false),
 * the same required fields, patterns, enums and nullability. `abpJsonSchema()` exports it back as
 * JSON Schema and a unit test compares the two.
 */

const dateTime = z.iso.datetime({ offset: true, local: false });
const nullableString = z.string().nullable();

export const AbpScopeSchema = z.strictObject({
  contract_id: nullableString,
  program: nullableString,
  modules: z.array(z.string()),
});

export const AbpAuthorityRefSchema = z.strictObject({
  authority_entry_id: z.string().regex(/^AUTH-[a-f0-9]{8}$/, 'must look like AUTH-<8 hex>'),
  authority_entry_hash: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must look like sha256:<64 hex>'),
  authority_ledger_path: nullableString,
});

export const AbpObjectivesSchema = z.strictObject({
  allowed: z.array(z.strictObject({ id: z.string(), description: z.string() })),
  denied: z.array(z.strictObject({ id: z.string(), description: z.string(), reason: z.string() })),
});

export const AbpToolsSchema = z.strictObject({
  allow: z.array(z.strictObject({ name: z.string(), scope: nullableString })),
  deny: z.array(z.strictObject({ name: z.string(), reason: z.string() })),
});

export const DataOperationSchema = z.enum(['read', 'write', 'delete']);
export const SensitivitySchema = z.enum(['public', 'internal', 'confidential', 'restricted']);

export const AbpDataSchema = z.strictObject({
  permissions: z.array(
    z.strictObject({
      resource: z.string(),
      operations: z.array(DataOperationSchema),
      roles: z.array(z.string()),
      sensitivity: SensitivitySchema,
    }),
  ),
});

export const AbpApprovalsSchema = z.strictObject({
  required: z.array(
    z.strictObject({
      action: z.string(),
      approver_role: z.string(),
      threshold: z.int().min(1),
      timeout_ms: z.int().nullable(),
    }),
  ),
});

export const EscalationSeveritySchema = z.enum(['info', 'warn', 'critical']);

export const AbpEscalationSchema = z.strictObject({
  paths: z.array(
    z.strictObject({
      trigger: z.string(),
      destination: z.string(),
      severity: EscalationSeveritySchema,
      auto: z.boolean(),
    }),
  ),
});

export const ValidatorWhenSchema = z.enum(['pre_action', 'post_action', 'periodic']);
export const FailActionSchema = z.enum(['block', 'warn', 'escalate', 'degrade']);

export const AbpRuntimeSchema = z.strictObject({
  validators: z.array(
    z.strictObject({
      name: z.string(),
      when: ValidatorWhenSchema,
      fail_action: FailActionSchema,
      config: z.record(z.string(), z.unknown()),
    }),
  ),
});

export const ProofArtifactSchema = z.enum([
  'seal',
  'manifest',
  'pack_hash',
  'episode_log',
  'transparency_log',
  'authority_ledger',
]);

export const AbpProofSchema = z.strictObject({ required: z.array(ProofArtifactSchema) });

export const AbpCompositionSchema = z.strictObject({
  parent_abp_id: nullableString,
  parent_abp_hash: nullableString,
  children: z.array(z.strictObject({ abp_id: z.string(), abp_hash: z.string() })),
});

export const TriggerSeveritySchema = z.enum(['warn', 'critical']);

export const DelegationTriggerSchema = z.strictObject({
  id: z.string().regex(/^DRT-[0-9]{3}$/, 'must look like DRT-<3 digits>'),
  name: z.string(),
  condition: z.record(z.string(), z.unknown()),
  severity: TriggerSeveritySchema,
  auto_open: z.boolean(),
});

export const ReviewPolicySchema = z.strictObject({
  approver_role: z.string(),
  threshold: z.int().min(1),
  timeout_ms: z.int().nullable(),
  output: ReviewOutputKindSchema,
});

export const DelegationReviewSchema = z.strictObject({
  triggers: z.array(DelegationTriggerSchema),
  review_policy: ReviewPolicySchema,
});

export const AbpSchema = z.strictObject({
  abp_version: z.literal('1.0'),
  abp_id: z.string().regex(/^ABP-[a-f0-9]{8}$/, 'must look like ABP-<8 hex>'),
  scope: AbpScopeSchema,
  authority_ref: AbpAuthorityRefSchema,
  objectives: AbpObjectivesSchema,
  tools: AbpToolsSchema,
  data: AbpDataSchema,
  approvals: AbpApprovalsSchema,
  escalation: AbpEscalationSchema,
  runtime: AbpRuntimeSchema,
  proof: AbpProofSchema,
  composition: AbpCompositionSchema,
  delegation_review: DelegationReviewSchema.optional(),
  effective_at: dateTime,
  expires_at: dateTime.nullable(),
  created_at: dateTime,
  hash: z.string(),
});

export type Abp = z.infer<typeof AbpSchema>;
export type AbpScope = z.infer<typeof AbpScopeSchema>;
export type AbpAuthorityRef = z.infer<typeof AbpAuthorityRefSchema>;
export type DelegationTrigger = z.infer<typeof DelegationTriggerSchema>;
export type ReviewPolicy = z.infer<typeof ReviewPolicySchema>;
export type DelegationReview = z.infer<typeof DelegationReviewSchema>;
export type RuntimeValidator = Abp['runtime']['validators'][number];
export type FailAction = z.infer<typeof FailActionSchema>;
export type DataOperation = z.infer<typeof DataOperationSchema>;
export type EscalationPath = Abp['escalation']['paths'][number];

/**
 * What a person writes for `warden abp build`: the ABP without its computed fields. Sections
 * left out default to empty (proof to the original's default set), as in the original builder.
 * abp_id and hash may be present (e.g. an edited `abp show --json`), and are recomputed.
 */
export const AbpSpecSchema = z.strictObject({
  abp_version: z.literal('1.0').optional(),
  abp_id: z.string().optional(),
  hash: z.string().optional(),
  scope: AbpScopeSchema,
  authority_ref: AbpAuthorityRefSchema,
  objectives: AbpObjectivesSchema.default({ allowed: [], denied: [] }),
  tools: AbpToolsSchema.default({ allow: [], deny: [] }),
  data: AbpDataSchema.default({ permissions: [] }),
  approvals: AbpApprovalsSchema.default({ required: [] }),
  escalation: AbpEscalationSchema.default({ paths: [] }),
  runtime: AbpRuntimeSchema.default({ validators: [] }),
  proof: AbpProofSchema.default({
    required: ['seal', 'manifest', 'pack_hash', 'transparency_log', 'authority_ledger'],
  }),
  composition: AbpCompositionSchema.default({ parent_abp_id: null, parent_abp_hash: null, children: [] }),
  delegation_review: DelegationReviewSchema.optional(),
  effective_at: dateTime.optional(),
  expires_at: dateTime.nullable().default(null),
  created_at: dateTime.optional(),
});

export type AbpSpecInput = z.input<typeof AbpSpecSchema>;
export type AbpSpec = z.output<typeof AbpSpecSchema>;
