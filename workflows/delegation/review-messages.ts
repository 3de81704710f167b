import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ReviewOutputKind } from '../../domain/delegation/schema';
import type { OutputTally } from '../../domain/delegation/review-tally';
import type { ApplyOutcome } from '../../activities/delegation/apply-output';

/** The review workflow's messages, shared by the workflow and the client. */
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
