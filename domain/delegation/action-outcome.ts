import { z } from 'zod';
import { KEY_TEXT_BYTES, LINE_TEXT_BYTES, storableText } from '../input/storable-text';
import { DataOperationSchema } from './schema';

/**
 * What an agent reports after an allowed action ran (`warden action report <abp-id> --check
 * <check-id> --outcome outcome.json`): whether it succeeded, the tool it actually used, the data
 * it actually touched and what it cost. The ABP's post_action validators judge this, not the
 * request. Stored as jsonb, so every string is storable and every list bounded.
 */
const name = () => storableText(KEY_TEXT_BYTES).min(1);

export const MAX_TOUCHED = 1000;

export const ActionOutcomeSchema = z.strictObject({
  status: z.enum(['succeeded', 'failed']),
  /** The tool actually used; absent means the tool the check allowed. */
  tool: name().optional(),
  touched: z
    .array(z.strictObject({ resource: name(), operation: DataOperationSchema }))
    .max(MAX_TOUCHED)
    .default([]),
  /** In the unit cost_within_limit's max_cost is written in (the ABP's choice: dollars, tokens…). */
  cost: z.number().finite().nonnegative().optional(),
  /** The action turned out irreversible although the check did not say so. */
  irreversible: z.boolean().default(false),
  summary: storableText(LINE_TEXT_BYTES).optional(),
});

export type ActionOutcomeInput = z.input<typeof ActionOutcomeSchema>;
export type ActionOutcome = z.output<typeof ActionOutcomeSchema>;
