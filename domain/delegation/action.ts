import { z } from 'zod';
import { KEY_TEXT_BYTES, storableText } from '../input/storable-text';
import { DataOperationSchema } from './schema';

/**
 * What an agent asks to do under an ABP (`warden action check <abp-id> --action action.json`).
 * `abp_hash` is the hash of the ABP the agent was given: policy_hash_matches compares it with the
 * current one, so an agent holding a superseded boundary is stopped.
 */
// Every name is stored (the action as jsonb, agent_id in an indexed column): storable and bounded.
const name = () => storableText(KEY_TEXT_BYTES).min(1);

export const ActionSchema = z.strictObject({
  action_id: name().max(200).optional(),
  agent_id: name().max(200).optional(),
  abp_hash: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must look like sha256:<64 hex>'),
  objective: name(),
  tool: name(),
  data: z
    .array(z.strictObject({ resource: name(), operation: DataOperationSchema }))
    .max(1000)
    .default([]),
  role: name().optional(),
  irreversible: z.boolean().default(false),
  export_id: name().optional(),
});

export type ActionInput = z.input<typeof ActionSchema>;
export type Action = z.output<typeof ActionSchema>;
