import { createHash } from 'node:crypto';
import { abpCanonicalJson } from './canonical';

/** Lower-case hex SHA-256 of UTF-8 text. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** "sha256:<hex>" of a value's ABP canonical JSON: the form every ABP hash field uses. */
export function canonicalDigest(value: unknown): string {
  return `sha256:${sha256Hex(abpCanonicalJson(value))}`;
}
