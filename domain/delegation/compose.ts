import { assembleAbp } from './build';
import type { Abp, AbpAuthorityRef, AbpScope, DelegationTrigger, ReviewPolicy } from './schema';

export const DEFAULT_REVIEW_POLICY: ReviewPolicy = {
  approver_role: 'Reviewer',
  threshold: 1,
  timeout_ms: 604_800_000,
  output: 'abp_patch',
};

/** The tightest review timeout wins; null (no timeout) is the loosest. Ties keep the first. */
export function tightestReviewPolicy(policies: ReviewPolicy[]): ReviewPolicy | undefined {
  let best: ReviewPolicy | undefined;
  for (const policy of policies) {
    if (best === undefined) best = policy;
    else if (policy.timeout_ms !== null && (best.timeout_ms === null || policy.timeout_ms < best.timeout_ms))
      best = policy;
  }
  return best;
}

export interface CompositionParent {
  scope: AbpScope;
  authority_ref: AbpAuthorityRef;
  created_at?: string;
  effective_at?: string;
  expires_at?: string | null;
}

/**
 * A program-level parent ABP from its children: the union of their boundaries, the union of
 * proof requirements, triggers de-duplicated by id (first wins), the tightest review policy, and
 * a reference (id and hash) to each child.
 */
export function composeAbps(parent: CompositionParent, children: Abp[], clock: string): Abp {
  const triggers: DelegationTrigger[] = [];
  for (const child of children) {
    for (const trigger of child.delegation_review?.triggers ?? []) {
      if (!triggers.some((t) => t.id === trigger.id)) triggers.push(trigger);
    }
  }
  const policies = children.flatMap((c) => (c.delegation_review ? [c.delegation_review.review_policy] : []));
  const all = <K extends keyof Abp>(section: K) => children.map((c) => c[section]);
  return assembleAbp(
    {
      scope: parent.scope,
      authority_ref: parent.authority_ref,
      objectives: {
        allowed: all('objectives').flatMap((o) => o.allowed),
        denied: all('objectives').flatMap((o) => o.denied),
      },
      tools: { allow: all('tools').flatMap((t) => t.allow), deny: all('tools').flatMap((t) => t.deny) },
      data: { permissions: all('data').flatMap((d) => d.permissions) },
      approvals: { required: all('approvals').flatMap((a) => a.required) },
      escalation: { paths: all('escalation').flatMap((e) => e.paths) },
      runtime: { validators: all('runtime').flatMap((r) => r.validators) },
      proof: { required: [...new Set(all('proof').flatMap((p) => p.required))].sort() },
      composition: {
        parent_abp_id: null,
        parent_abp_hash: null,
        children: children.map((c) => ({ abp_id: c.abp_id, abp_hash: c.hash })),
      },
      ...(triggers.length > 0
        ? { delegation_review: { triggers, review_policy: tightestReviewPolicy(policies) ?? DEFAULT_REVIEW_POLICY } }
        : {}),
      created_at: parent.created_at,
      effective_at: parent.effective_at,
      expires_at: parent.expires_at ?? null,
    },
    clock,
  );
}
