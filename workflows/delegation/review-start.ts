import type { SearchAttributePair } from '@temporalio/common';
import type { ReviewStart } from '../../activities/delegation/review-store';
import { AbpId, Severity, TriggerId, WardenKind, WardenState } from '../../domain/search-attributes';

/**
 * How a review workflow is started, shared by the monitor (child workflow) and the client
 * (manual opening), so both show the same attributes and summary in the Temporal UI.
 */
export function reviewSearchAttributes(review: ReviewStart): SearchAttributePair[] {
  return [
    { key: WardenKind, value: 'review' },
    { key: WardenState, value: 'open' },
    { key: AbpId, value: review.abpId },
    { key: TriggerId, value: review.triggerId },
    { key: Severity, value: review.severity },
  ];
}

export function reviewSummary(review: ReviewStart): string {
  return `Delegation review of ${review.abpId}: ${review.triggerId} ${review.triggerName} (${review.severity}), ` +
    `${review.policy.threshold} approval(s) by ${review.policy.approver_role}`;
}
