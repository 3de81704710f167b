import type { HeadCheckpoint } from './checkpoint';
import { sign, signatureMatches } from '../non-workflow/provenance-entry-hash';

const CHECKPOINT_CONTEXT = 'warden.provenance.anchor.v1';

function signedText(c: Omit<HeadCheckpoint, 'signature'>): string {
  return `${CHECKPOINT_CONTEXT}|${c.seq}|${c.contentHash}|${c.firstHash}|${c.anchoredAt}`;
}

/** Signed with the provenance key: a checkpoint nobody without the key can forge or move. */
export function signCheckpoint(key: string, c: Omit<HeadCheckpoint, 'signature'>): HeadCheckpoint {
  return { ...c, signature: sign(key, signedText(c)) };
}

export function checkpointSignatureValid(key: string, c: HeadCheckpoint): boolean {
  return signatureMatches(key, signedText(c), c.signature);
}

/**
 * The anchor workflow's id, derived from the provenance key: one anchor per chain, found again
 * by anyone holding the key, and not something a database writer can redirect (the key is not in
 * the database).
 */
export function anchorWorkflowId(key: string): string {
  return `warden-provenance-anchor-${sign(key, `${CHECKPOINT_CONTEXT}|workflow-id`).slice(0, 16)}`;
}
