import { z } from 'zod';
import {
  commitmentIdSchema,
  commitmentValueSchema,
  extendSecondsSchema,
  operatorPrincipalSchema,
  rationaleSchema,
  ruleTextSchema,
} from '../../domain/endorsement/endorsement-request';
import { settingsOverridesSchema } from '../../domain/endorsement/settings';
import { DECISIONS } from '../../domain/endorsement/states';

/**
 * The endorsement workflow's contract, shared by the workflow, its activities and its clients:
 * input and result, signals, updates and queries (messages.ts, which the workflow itself imports:
 * it must not load zod), and the schemas clients check messages with.
 */
export * from './messages';

/** An operator command's principal and rationale, as clients check them before sending. */
export const operatorInputSchema = z.object({
  principal: operatorPrincipalSchema,
  rationale: rationaleSchema.optional(),
});
export const decisionSchema = z.object({ decision: z.enum(DECISIONS) });
export const extendInputSchema = z.object({
  principal: operatorPrincipalSchema,
  seconds: extendSecondsSchema.optional(),
});

/** Everything an endorsement request carries into the workflow and its registration, checked before it starts. */
export const endorsementRequestSchema = z.object({
  rule: ruleTextSchema,
  commitment: commitmentIdSchema.optional(),
  value: commitmentValueSchema.optional(),
  settings: settingsOverridesSchema.optional(),
  requestedBy: operatorPrincipalSchema.optional(),
  decide: z
    .object({ decision: z.enum(DECISIONS), principal: operatorPrincipalSchema, rationale: rationaleSchema.optional() })
    .optional(),
});
