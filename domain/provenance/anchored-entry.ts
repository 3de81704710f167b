import type { HeadCheckpoint } from './checkpoint';

/**
 * Compares the chain with a checkpoint: the entry it anchors must still be there with the same
 * hash, and so must the first entry. Shared by the anchor and by `provenance verify`.
 */
export function anchoredEntryProblem(
  checkpoint: Pick<HeadCheckpoint, 'seq' | 'contentHash' | 'firstHash' | 'anchoredAt'>,
  stored: Map<number, string>,
  chainEnd?: number,
): { seq: number; detail: string } | undefined {
  const first = stored.get(1);
  if (first === undefined) {
    return {
      seq: 1,
      detail: `the chain is empty but the anchor (${checkpoint.anchoredAt}) records ${checkpoint.seq} entries: every entry was deleted`,
    };
  }
  if (first !== checkpoint.firstHash) {
    return { seq: 1, detail: `entry 1 is not the one anchored (${checkpoint.anchoredAt}): the chain was replaced` };
  }
  const at = stored.get(checkpoint.seq);
  if (at === undefined) {
    const anchored = `entry ${checkpoint.seq} was anchored as the head at ${checkpoint.anchoredAt} (hash ${checkpoint.contentHash})`;
    if (chainEnd !== undefined && chainEnd < checkpoint.seq) {
      const missing =
        chainEnd + 1 === checkpoint.seq
          ? `entry ${checkpoint.seq} is`
          : `entries ${chainEnd + 1} to ${checkpoint.seq} are`;
      return {
        seq: chainEnd + 1,
        detail: `${missing} missing: ${anchored} and the chain ends at entry ${chainEnd}: the newest entries were deleted`,
      };
    }
    return { seq: checkpoint.seq, detail: `entry ${checkpoint.seq} is missing: ${anchored}` };
  }
  if (at !== checkpoint.contentHash) {
    return {
      seq: checkpoint.seq,
      detail: `entry ${checkpoint.seq} is not the one anchored at ${checkpoint.anchoredAt} (hash ${checkpoint.contentHash}): entries up to it were replaced`,
    };
  }
  return undefined;
}
