import { z } from 'zod';
import { INT4_MAX } from '../input/int4-range';
import { KEY_TEXT_BYTES, storableText } from '../input/storable-text';
import { identifier } from './identifiers';
import {
  CONFIDENCE_ORDER,
  DATASET_URI_REQUIRED,
  DEFAULT_MAX_INTERVAL_WIDTH,
  DEFAULT_MIN_FEEDBACK,
  DEFAULT_MIN_IMPROVEMENT,
  MIN_FEEDBACK,
  MIN_IMPROVEMENT_NEGATIVE,
  credentialProblem,
  datasetUriShapeProblem,
  isNonNegative,
  type CalibrationRequest,
  type LoraRequest,
} from './proposal-request';
import { unitInterval } from './unit-interval';
import { notANumber } from './unit-rules';

/**
 * The boundary's schemas of a proposal's request (API, client, CLI). The proposal workflow checks
 * the same rules without zod (proposal-request.ts); a unit test holds the two to the same results.
 */

// Compared with a count of stored rows (an int4 column's range).
export const minFeedbackSchema = z
  .number({ error: MIN_FEEDBACK.notANumber })
  .int(MIN_FEEDBACK.notWhole)
  .positive(MIN_FEEDBACK.notPositive)
  .max(INT4_MAX, MIN_FEEDBACK.tooLarge);

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
  .refine((r) => r.confidence_low <= r.confidence_high, { error: CONFIDENCE_ORDER, path: ['confidence_low'] });
export type CalibrationRequestInput = z.input<typeof calibrationRequestSchema>;

// The credential check runs first and alone, as in the original: a URI with a secret is
// refused outright, before any other field is looked at or echoed in an error.
export const datasetUriSchema = storableText(KEY_TEXT_BYTES, { error: DATASET_URI_REQUIRED })
  .superRefine((uri, ctx) => {
    const credential = credentialProblem(uri);
    if (credential) ctx.addIssue({ code: 'custom', message: credential, continue: false });
    else {
      const shape = datasetUriShapeProblem(uri);
      if (shape) ctx.addIssue({ code: 'custom', message: shape });
    }
  })
  .transform((uri) => uri.trim());

export const loraRequestSchema = z.strictObject({
  dataset_uri: datasetUriSchema,
  base_model_ref: identifier('base_model_ref'),
  rollback_id: identifier('rollback_id'),
  heldout_score: unitInterval('heldout_score'),
  baseline_score: unitInterval('baseline_score'),
  min_improvement: z
    .number({ error: notANumber('min_improvement') })
    .refine(isNonNegative, { error: MIN_IMPROVEMENT_NEGATIVE })
    .default(DEFAULT_MIN_IMPROVEMENT),
  min_feedback: minFeedbackSchema.default(DEFAULT_MIN_FEEDBACK),
});
export type LoraRequestInput = z.input<typeof loraRequestSchema>;

// The workflow's types are these schemas' outputs (a compile error otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const calibrationTypesAgree: Same<z.infer<typeof calibrationRequestSchema>, CalibrationRequest> = true;
export const loraTypesAgree: Same<z.infer<typeof loraRequestSchema>, LoraRequest> = true;
