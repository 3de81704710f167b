/**
 * A signed statement of the provenance chain's head, kept apart from the chain (in the Temporal
 * history of the anchor workflow): "entry `seq` exists and its content hash is `contentHash`, and
 * the chain starts with `firstHash`". Whoever can rewrite the database cannot rewrite it, so
 * deleting the newest entries, or replacing the chain, shows up against it.
 * Pure types: workflows carry checkpoints without signing them.
 */
export interface HeadCheckpoint {
  seq: number;
  contentHash: string;
  firstHash: string;
  anchoredAt: string;
  /** HMAC-SHA256 with the provenance key over the fields above (domain/provenance/anchor.ts). */
  signature: string;
}

/** What the anchor saw that contradicts its checkpoint: the chain lost or changed anchored entries. */
export interface AnchorViolation {
  seq: number;
  detail: string;
  detectedAt: string;
}

export interface AnchorState {
  checkpoint: HeadCheckpoint | null;
  /** The first contradiction seen; it stays until someone with Temporal rights resets the anchor. */
  violation: AnchorViolation | null;
}
