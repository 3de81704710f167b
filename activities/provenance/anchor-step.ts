import type { Queryable } from '../../db/pool';
import { lastProvenanceSeq, provenanceHashesAt, verifyProvenanceChain } from '../../db/provenance/log';
import { checkpointSignatureValid, signCheckpoint } from '../../domain/provenance/anchor';
import { anchoredEntryProblem } from '../../domain/provenance/anchored-entry';
import type { HeadCheckpoint } from '../../domain/provenance/checkpoint';

export type AnchorStep =
  | { kind: 'unchanged' }
  | { kind: 'advanced'; checkpoint: HeadCheckpoint }
  | { kind: 'violation'; seq: number; detail: string };

/**
 * One step of the head anchor: checks that the chain still holds the anchored entry (and the
 * same first entry), verifies what was appended after it, and signs a checkpoint of the new head.
 * Never moves the anchor back: a chain that lost or changed anchored entries is a violation and
 * the previous checkpoint stays.
 */
export async function advanceAnchor(
  q: Queryable,
  key: string,
  previous: HeadCheckpoint | null,
  now: Date,
): Promise<AnchorStep> {
  if (previous) {
    if (!checkpointSignatureValid(key, previous)) {
      return {
        kind: 'violation',
        seq: previous.seq,
        detail: 'the anchored checkpoint does not carry a valid signature for this key',
      };
    }
    const stored = await provenanceHashesAt(q, [1, previous.seq]);
    const problem = anchoredEntryProblem(previous, stored, await lastProvenanceSeq(q));
    if (problem) return { kind: 'violation', ...problem };
  }
  const segment = await verifyProvenanceChain(q, key, previous ? { from: previous } : {});
  if (!segment.ok) {
    const bad = segment.firstBad!;
    return {
      kind: 'violation',
      seq: bad.seq,
      detail: `entry ${bad.seq} after the anchored head does not verify: ${bad.reason}`,
    };
  }
  if (segment.headSeq === (previous?.seq ?? 0)) return { kind: 'unchanged' };
  const firstHash = previous?.firstHash ?? (await provenanceHashesAt(q, [1])).get(1)!;
  return {
    kind: 'advanced',
    checkpoint: signCheckpoint(key, {
      seq: segment.headSeq,
      contentHash: segment.head,
      firstHash,
      anchoredAt: now.toISOString(),
    }),
  };
}
