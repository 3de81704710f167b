import { canonicalJson } from '../canonical-json';
import { sha256Hex } from '../non-workflow/sha256';
import type { Abp } from './schema';
import { normaliseDateTime } from './utc-date-time';

/**
 * Warden's ABP canonical form before it matched the reference tooling: plain canonical JSON after
 * rewriting every RFC 3339 date-time string to UTC "Z" with its fraction kept (and -0 as 0). Kept
 * for one purpose: to authenticate an ABP stored in that form before it is re-issued in the
 * reference form, so that re-issuing never launders a document edited behind Warden's back.
 * (normaliseDateTime has since stopped reading years 0..99 as 1900..1999; an ABP holding such a
 * date-time fails this check and is left as it is, for a person to look at.)
 */
function legacyCanonicalJson(value: unknown): string {
  return canonicalJson(legacyNormalise(value));
}

function legacyNormalise(value: unknown): unknown {
  if (typeof value === 'string') return normaliseDateTime(value) ?? value;
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return value.map(legacyNormalise);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = legacyNormalise(v);
    return out;
  }
  return value;
}

/** The id and hash the legacy form gives an ABP. */
export function legacyAbpIdentity(abp: Omit<Abp, 'hash'> & { hash?: string }): { abpId: string; hash: string } {
  const seed = legacyCanonicalJson({ scope: abp.scope, authority_ref: abp.authority_ref, created_at: abp.created_at });
  return { abpId: `ABP-${sha256Hex(seed).slice(0, 8)}`, hash: `sha256:${sha256Hex(legacyCanonicalJson({ ...abp, hash: '' }))}` };
}

/** True when `abp` carries the id and hash the legacy form gives it: stored by Warden, unedited. */
export function legacyIdentityMatches(abp: Abp): boolean {
  const legacy = legacyAbpIdentity(abp);
  return legacy.abpId === abp.abp_id && legacy.hash === abp.hash;
}
