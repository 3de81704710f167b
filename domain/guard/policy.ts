import { z } from 'zod';
import { identifier, tenantSafeIdentifier } from './identifiers';
import { riskEnvelopeSchema } from './risk-envelope';

// A guard-loop policy: the risk envelope every proposal under it carries, and the role a
// principal must hold to approve those proposals.
export const guardPolicySchema = z.strictObject({
  // policy_id is copied into every safety event's attributes, which must be tenant-safe.
  policy_id: tenantSafeIdentifier('policy_id'),
  risk_envelope: riskEnvelopeSchema,
  approver_role: identifier('approver_role'),
});
export type GuardPolicy = z.infer<typeof guardPolicySchema>;
