import { z } from 'zod';
import type { ApplyOutcome } from '../../domain/delegation/apply-outcome';
import type { OutputTally } from '../../domain/delegation/review-tally';
import { ReviewOutputKindSchema, type ReviewOutputKind } from '../../domain/delegation/review-output-kind';
import { workflowRef } from '../workflow-ref';
import type { delegationEvaluationWorkflow } from './evaluation';
import type { delegationReviewWorkflow } from './review';
import { OUTPUT_HASH, OUTPUT_HASH_PATTERN, REQUIRED } from './review-vote-input';

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

const principalField = z.string({ error: REQUIRED }).min(1, REQUIRED);
const reasonField = z.string({ error: REQUIRED }).refine((reason) => reason.trim() !== '', REQUIRED);

/**
 * What the approve Update takes, as the boundary parses it; the workflow's validator checks the
 * same rules without zod (review-vote-input.ts). The client checked the reason's length, the
 * approver's role and the output before sending.
 */
export const approveInputSchema = z.object({
  principal: principalField,
  outputKind: ReviewOutputKindSchema,
  /** Canonical hash of the output document, stored beforehand by the client. */
  outputHash: z.string({ error: OUTPUT_HASH }).regex(OUTPUT_HASH_PATTERN, OUTPUT_HASH),
  reason: reasonField,
});
export const dismissInputSchema = z.object({ principal: principalField, reason: reasonField });

export type { ApproveInput, DismissInput } from './review-vote-input';
export { approveReviewUpdate, dismissReviewUpdate, reviewStatusQuery } from './review-messages';
export { reviewSearchAttributes, reviewSummary } from './review-start-options';

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
