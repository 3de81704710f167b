import { sha256Hex } from '../non-workflow/sha256';
import { abpCanonicalJson } from './canonical';

/** "sha256:<hex>" of a value's ABP canonical JSON: the form every ABP hash field uses. */
export function canonicalDigest(value: unknown): string {
  return `sha256:${sha256Hex(abpCanonicalJson(value))}`;
}
