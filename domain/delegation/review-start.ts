import type { ReviewPolicy } from './schema';

/** What a review workflow is started with: ids and the policy, never document text. */
export interface ReviewStart {
  reviewId: string;
  abpId: string;
  abpHash: string;
  triggerId: string;
  triggerName: string;
  severity: 'warn' | 'critical';
  policy: ReviewPolicy;
  openedBy: string;
}
