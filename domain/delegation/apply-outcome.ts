import type { GateResult } from './export-gates';
import type { ReviewStart } from './review-start';
import type { ReviewOutputKind } from './schema';

/** What applying a review's approved output did (or why it did not), as the review records it. */
export interface ApplyOutcome {
  state: 'applied' | 'failed';
  outputKind: ReviewOutputKind;
  outputHash: string;
  approvers: string[];
  previous: { abpId: string; abpHash: string };
  next: { abpId: string; abpHash: string; status: 'active' | 'revoked' } | null;
  exports: { exportId: string; fileName: string; gates: GateResult[] }[];
  failure: string[];
  /** Which application attempt of the review this was (1, 2, …); set when a failure reopens the review. */
  round?: number;
  /** The attempt failed and the review is open again, without the approvals of this output (`voided`). */
  reopened?: boolean;
  voided?: string[];
  /** Reviews (trigger parent_changed) this revocation or replacement opened on the ABP's children. */
  childReviews?: ReviewStart[];
}
