import { sha256Hex } from '../non-workflow/sha256';
import { canonicalDigest } from './digest';
import { abpCanonicalJson } from './canonical';
import type { Abp, AbpAuthorityRef, AbpScope } from './schema';

/**
 * abp_id = "ABP-" + the first 8 hex digits of sha256(canonical({scope, authority_ref, created_at})).
 * The id names the delegation (who granted what scope, when), so editing boundaries keeps it and
 * only a new scope, authority or creation time gives a new one.
 */
export function computeAbpId(scope: AbpScope, authorityRef: AbpAuthorityRef, createdAt: string): string {
  const seed = abpCanonicalJson({ scope, authority_ref: authorityRef, created_at: createdAt });
  return `ABP-${sha256Hex(seed).slice(0, 8)}`;
}

/** hash = "sha256:" + sha256(canonical(ABP with hash = "")): the ABP authenticates itself. */
export function computeAbpHash(abp: Omit<Abp, 'hash'> & { hash?: string }): string {
  return canonicalDigest({ ...abp, hash: '' });
}

export interface IdentityCheck {
  idMatches: boolean;
  hashMatches: boolean;
  expectedId: string;
  expectedHash: string;
}

/** Recomputes id and hash; a stored or exported ABP that was edited by hand fails one of them. */
export function checkAbpIdentity(abp: Abp): IdentityCheck {
  const expectedId = computeAbpId(abp.scope, abp.authority_ref, abp.created_at);
  const expectedHash = computeAbpHash(abp);
  return { idMatches: expectedId === abp.abp_id, hashMatches: expectedHash === abp.hash, expectedId, expectedHash };
}
