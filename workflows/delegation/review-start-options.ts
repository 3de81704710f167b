import type { SearchAttributePair } from '@temporalio/common';
import type { ReviewStart } from '../../domain/delegation/review-start';
import { AbpId, Severity, TriggerId, WardenKind, WardenState } from '../../domain/search-attributes';
import type { ReviewWorkflowState } from './contract';

// Apart from contract.ts (which holds the boundary's zod schemas) so that workflows starting or
// running a review do not load zod; the contract re-exports both for clients.

/**
 * How a review workflow is started, shared by the monitor (child workflow) and the client
 * (manual opening), so both show the same attributes and summary in the Temporal UI; the workflow
 * re-publishes the attributes with its state as it moves.
 */
export function reviewSearchAttributes(
  review: ReviewStart,
  state: ReviewWorkflowState = 'open',
): SearchAttributePair[] {
  return [
    { key: WardenKind, value: 'review' },
    { key: WardenState, value: state },
    { key: AbpId, value: review.abpId },
    { key: TriggerId, value: review.triggerId },
    { key: Severity, value: review.severity },
  ];
}

export function reviewSummary(review: ReviewStart): string {
  return (
    `Delegation review of ${review.abpId}: ${review.triggerId} ${review.triggerName} (${review.severity}), ` +
    `${review.policy.threshold} approval(s) by ${review.policy.approver_role}`
  );
}
