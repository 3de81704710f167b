import type { Queryable } from '../pool';
import { findPrincipal } from '../access/principals';
import { ADMIN_ROLE, requireRole } from '../../domain/authorization';
import { forbidden } from '../../domain/errors';
import { requirePolicy } from './policies';

/**
 * Who may release: a holder of the policy's approver role, or an admin. Checked again for a
 * proposal already released, since a release hands the payload over.
 */
export async function requireReleaser(
  q: Queryable,
  policyId: string,
  proposalId: string,
  releaser: string | undefined,
): Promise<void> {
  if (!releaser)
    throw forbidden(`releasing proposal ${proposalId} needs the releasing principal (pass --as <principal>)`);
  const principal = await findPrincipal(q, releaser);
  if (!principal) throw forbidden(`unknown principal "${releaser}"`);
  const policy = await requirePolicy(q, policyId);
  requireRole(principal, [policy.approver_role, ADMIN_ROLE], `release proposal ${proposalId}`);
}
