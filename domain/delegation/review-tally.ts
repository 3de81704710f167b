import type { ReviewOutputKind } from './schema';

/**
 * Counting approvals under a review policy. Pure and free of Node built-ins: the review workflow
 * uses it. One vote per principal is enforced where votes are accepted; the tally still counts
 * distinct principals so a duplicate can never inflate a count.
 */
export interface Approval {
  principal: string;
  outputKind: ReviewOutputKind;
  outputHash: string;
  /** Who wrote the output document (the first principal to propose it). */
  outputAuthor: string;
}

export interface OutputTally {
  outputKind: ReviewOutputKind;
  outputHash: string;
  outputAuthor: string;
  approvers: string[];
  /** True when the approvers meet the threshold and, at threshold ≥ 2, not only the author approves. */
  satisfied: boolean;
}

export function tallyApprovals(approvals: Approval[], threshold: number): OutputTally[] {
  const byHash = new Map<string, OutputTally>();
  for (const a of approvals) {
    let tally = byHash.get(a.outputHash);
    if (!tally) {
      tally = {
        outputKind: a.outputKind,
        outputHash: a.outputHash,
        outputAuthor: a.outputAuthor,
        approvers: [],
        satisfied: false,
      };
      byHash.set(a.outputHash, tally);
    }
    if (!tally.approvers.includes(a.principal)) tally.approvers.push(a.principal);
  }
  for (const tally of byHash.values()) {
    const enough = tally.approvers.length >= threshold;
    const beyondAuthor = threshold < 2 || tally.approvers.some((p) => p !== tally.outputAuthor);
    tally.satisfied = enough && beyondAuthor;
  }
  return [...byHash.values()];
}

/** The output that reached the threshold first (in approval order), if any. */
export function winningOutput(approvals: Approval[], threshold: number): OutputTally | undefined {
  for (let i = 1; i <= approvals.length; i += 1) {
    const satisfied = tallyApprovals(approvals.slice(0, i), threshold).find((t) => t.satisfied);
    if (satisfied) return satisfied;
  }
  return undefined;
}
