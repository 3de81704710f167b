import { canonicalJson } from '../canonical-json';
import { sha256Hex } from '../non-workflow/sha256';
import { AbpSpecSchema, type Abp } from './schema';
import { normaliseDateTime } from './utc-date-time';

/**
 * Warden's ABP canonical form before it matched the reference tooling: plain canonical JSON after
 * rewriting every RFC 3339 date-time string to UTC "Z" with its fraction kept (and -0 as 0). Kept
 * for one purpose: to authenticate an ABP stored in that form before it is re-issued in the
 * reference form, so that re-issuing never launders a document edited behind Warden's back.
 * (normaliseDateTime has since stopped reading years 0..99 as 1900..1999, and stopped rewriting
 * year 0000; an ABP holding such a date-time fails this check and is left as it is, for a person
 * to look at.)
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

/** The id the legacy form gives an ABP of this scope, authority and creation time. */
export function legacyAbpId(seed: Pick<Abp, 'scope' | 'authority_ref' | 'created_at'>): string {
  return `ABP-${sha256Hex(legacyCanonicalJson({ scope: seed.scope, authority_ref: seed.authority_ref, created_at: seed.created_at })).slice(0, 8)}`;
}

/** The id and hash the legacy form gives an ABP. */
export function legacyAbpIdentity(abp: Omit<Abp, 'hash'> & { hash?: string }): { abpId: string; hash: string } {
  return { abpId: legacyAbpId(abp), hash: `sha256:${sha256Hex(legacyCanonicalJson({ ...abp, hash: '' }))}` };
}

/**
 * The id a spec with an explicit created_at had in the legacy form, when it differs from the id
 * `built` has now: an ABP stored that way and retired before the identity migration was never
 * re-issued, so only this id says that the spec names it.
 */
export function legacyIdOfSpec(spec: unknown, built: Pick<Abp, 'abp_id'>): string | undefined {
  const parsed = AbpSpecSchema.safeParse(spec);
  if (!parsed.success || parsed.data.created_at === undefined) return undefined;
  const legacy = legacyAbpId({
    scope: parsed.data.scope,
    authority_ref: parsed.data.authority_ref,
    created_at: parsed.data.created_at,
  });
  return legacy === built.abp_id ? undefined : legacy;
}

/** True when `abp` carries the id and hash the legacy form gives it: stored by Warden, unedited. */
export function legacyIdentityMatches(abp: Abp): boolean {
  const legacy = legacyAbpIdentity(abp);
  return legacy.abpId === abp.abp_id && legacy.hash === abp.hash;
}
