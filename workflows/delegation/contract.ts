import type { SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApplyOutcome } from '../../domain/delegation/apply-outcome';
import type { ReviewStart } from '../../domain/delegation/review-start';
import type { OutputTally } from '../../domain/delegation/review-tally';
import type { ReviewOutputKind } from '../../domain/delegation/schema';
import { AbpId, Severity, TriggerId, WardenKind, WardenState } from '../../domain/search-attributes';
import { workflowRef } from '../workflow-ref';
import type { delegationEvaluationWorkflow } from './evaluation';
import type { delegationReviewWorkflow } from './review';

/**
 * The delegation loop's contract, shared by its two workflows (the review, the monitor's
 * evaluation pass), their activities and their clients.
 */

/** One review (workflow id = review id), started by the monitor (as a child) or by a person. */
export const delegationReviewWorkflowRef = workflowRef<typeof delegationReviewWorkflow>('delegationReviewWorkflow');
/** One pass of the delegation monitor: after each intake, and on the monitor Schedule. */
export const delegationEvaluationWorkflowRef = workflowRef<typeof delegationEvaluationWorkflow>('delegationEvaluationWorkflow');

/** What a review workflow is started with (a domain type, so the stores can build it from a row). */
export type { ReviewStart } from '../../domain/delegation/review-start';

export interface ApproveInput {
  principal: string;
  outputKind: ReviewOutputKind;
  /** Canonical hash of the output document, stored beforehand by the client. */
  outputHash: string;
  reason: string;
}

export interface DismissInput {
  principal: string;
  reason: string;
}

export type ReviewWorkflowState = 'open' | 'applying' | 'applied' | 'failed' | 'dismissed' | 'timed_out';

export interface ReviewVoteResult {
  accepted: true;
  state: ReviewWorkflowState;
  approvals: number;
  threshold: number;
  decided: boolean;
}

export interface ReviewStatus {
  reviewId: string;
  abpId: string;
  triggerId: string;
  severity: 'warn' | 'critical';
  state: ReviewWorkflowState;
  approverRole: string;
  threshold: number;
  timeoutMs: number | null;
  deadline: string | null;
  approvals: { principal: string; outputKind: ReviewOutputKind; outputHash: string }[];
  tallies: OutputTally[];
  dismissedBy: string | null;
  outcome: ApplyOutcome | null;
  escalations: { destination: string; severity: string }[];
  /** The last attempt to apply an output that failed and sent the review back to open. */
  lastFailure?: ApplyOutcome | null;
}

export const approveReviewUpdate = defineUpdate<ReviewVoteResult, [ApproveInput]>('approve');
export const dismissReviewUpdate = defineUpdate<ReviewVoteResult, [DismissInput]>('dismiss');
export const reviewStatusQuery = defineQuery<ReviewStatus>('status');

/**
 * How a review workflow is started, shared by the monitor (child workflow) and the client
 * (manual opening), so both show the same attributes and summary in the Temporal UI; the workflow
 * re-publishes the attributes with its state as it moves.
 */
export function reviewSearchAttributes(review: ReviewStart, state: ReviewWorkflowState = 'open'): SearchAttributePair[] {
  return [
    { key: WardenKind, value: 'review' },
    { key: WardenState, value: state },
    { key: AbpId, value: review.abpId },
    { key: TriggerId, value: review.triggerId },
    { key: Severity, value: review.severity },
  ];
}

export function reviewSummary(review: ReviewStart): string {
  return `Delegation review of ${review.abpId}: ${review.triggerId} ${review.triggerName} (${review.severity}), ` +
    `${review.policy.threshold} approval(s) by ${review.policy.approver_role}`;
}

export interface EvaluationInput {
  /** Only these ABPs' triggers (default: every active ABP's). */
  abpIds?: string[];
}

export interface EvaluationSummary {
  opened: string[];
  queued: string[];
  started: string[];
  tripped: string[];
  /** Periodic validators that failed ("<abp-id>/<validator>: <fail_action>"). */
  periodic: string[];
}
