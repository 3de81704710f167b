import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../canonical-json';
import { sha256Hex } from './sha256';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields an entry's content hash covers: everything but the hash and signature. */
export interface ProvenanceContent {
  seq: number;
  recordedAt: string;
  kind: string;
  subject: string;
  actor: string | null;
  payload: unknown;
  prevHash: string;
}

export function contentHash(entry: ProvenanceContent): string {
  return sha256Hex(canonicalJson(entry));
}

export function sign(key: string, hash: string): string {
  return createHmac('sha256', Buffer.from(key, 'hex')).update(hash).digest('hex');
}

export function signatureMatches(key: string, hash: string, signature: string): boolean {
  const expected = Buffer.from(sign(key, hash), 'hex');
  const given = Buffer.from(signature, 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Names a provenance key without revealing it: an HMAC of a fixed label under the key (a key
 * check value), stored with the chain so that a process holding another key is refused.
 */
export function keyFingerprint(key: string): string {
  return createHmac('sha256', Buffer.from(key, 'hex')).update('warden provenance key fingerprint v1').digest('hex');
}
