import { sealAbp } from './build';
import { AbpSpecError } from './errors';
import { applyMergePatch } from './merge-patch';
import type { Abp } from './schema';

/**
 * An abp_patch review output is a JSON Merge Patch (RFC 7396) of the ABP document, e.g.
 *   {"tools": {"deny": [], "allow": [{"name": "email.send_external", "scope": null}]}}
 * Arrays are replaced whole (RFC 7396 has no array edits), which keeps a patch readable and its
 * result unambiguous. The identity fields cannot be patched: the id must stay the same, so scope,
 * authority_ref and created_at are out of reach (that is what abp_replace is for), and the
 * computed abp_version, abp_id and hash are recomputed anyway.
 */
export const UNPATCHABLE_FIELDS = ['abp_version', 'abp_id', 'hash', 'scope', 'authority_ref', 'created_at'] as const;

export function checkPatchDocument(patch: unknown): string[] {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return ['(patch): a JSON Merge Patch must be an object'];
  }
  const keys = Object.keys(patch);
  const problems = keys
    .filter((k) => (UNPATCHABLE_FIELDS as readonly string[]).includes(k))
    .map((k) => `${k}: cannot be patched (it defines the ABP's identity or is computed); use abp_replace`);
  if (keys.length === 0) problems.push('(patch): empty patch changes nothing');
  return problems;
}

/** The patched ABP: same abp_id, new hash. Throws AbpSpecError naming the offending field. */
export function patchAbp(abp: Abp, patch: unknown): Abp {
  const problems = checkPatchDocument(patch);
  if (problems.length > 0) throw new AbpSpecError(problems);
  const { hash: _hash, ...body } = applyMergePatch(abp, patch) as Abp;
  const patched = sealAbp(body);
  if (patched.hash === abp.hash) throw new AbpSpecError(['(patch): the patch leaves the ABP unchanged']);
  return patched;
}
