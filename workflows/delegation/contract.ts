import type { SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { ApplyOutcome } from '../../domain/delegation/apply-outcome';
import type { ReviewStart } from '../../domain/delegation/review-start';
import type { OutputTally } from '../../domain/delegation/review-tally';
import { ReviewOutputKindSchema, type ReviewOutputKind } from '../../domain/delegation/review-output-kind';
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
export const delegationEvaluationWorkflowRef =
  workflowRef<typeof delegationEvaluationWorkflow>('delegationEvaluationWorkflow');

/** What a review workflow is started with (a domain type, so the stores can build it from a row). */
export type { ReviewStart } from '../../domain/delegation/review-start';

const principalField = z.string({ error: 'required' }).min(1, 'required');
const reasonField = z.string({ error: 'required' }).refine((reason) => reason.trim() !== '', 'required');
const OUTPUT_HASH = 'must look like sha256:<64 hex>';

/**
 * What the approve Update takes; its validator parses it (the client checked the reason's length,
 * the approver's role and the output before sending).
 */
export const approveInputSchema = z.object({
  principal: principalField,
  outputKind: ReviewOutputKindSchema,
  /** Canonical hash of the output document, stored beforehand by the client. */
  outputHash: z.string({ error: OUTPUT_HASH }).regex(/^sha256:[a-f0-9]{64}$/, OUTPUT_HASH),
  reason: reasonField,
});
export const dismissInputSchema = z.object({ principal: principalField, reason: reasonField });

export type ApproveInput = z.infer<typeof approveInputSchema>;
export type DismissInput = z.infer<typeof dismissInputSchema>;

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
  /** Of `tripped`, those whose review was already active before this pass (absent from older runs). */
  underReview?: string[];
}
