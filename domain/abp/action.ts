import { z } from 'zod';
import { DataOperationSchema } from './schema';

/**
 * What an agent asks to do under an ABP (`warden action check <abp-id> --action action.json`).
 * `abp_hash` is the hash of the ABP the agent was given: policy_hash_matches compares it with the
 * current one, so an agent holding a superseded boundary is stopped.
 */
export const ActionSchema = z.strictObject({
  action_id: z.string().min(1).max(200).optional(),
  agent_id: z.string().min(1).max(200).optional(),
  abp_hash: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must look like sha256:<64 hex>'),
  objective: z.string().min(1),
  tool: z.string().min(1),
  data: z.array(z.strictObject({ resource: z.string().min(1), operation: DataOperationSchema })).default([]),
  role: z.string().min(1).optional(),
  irreversible: z.boolean().default(false),
  export_id: z.string().min(1).optional(),
});

export type ActionInput = z.input<typeof ActionSchema>;
export type Action = z.output<typeof ActionSchema>;
