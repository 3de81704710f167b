import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ReviewStatus, ReviewVoteResult } from './contract';
import type { ApproveInput, DismissInput } from './review-vote-input';

// The review's Updates and query, apart from contract.ts (which holds the boundary's zod schemas)
// so that a review run does not load zod; the contract re-exports them for clients.
export const approveReviewUpdate = defineUpdate<ReviewVoteResult, [ApproveInput]>('approve');
export const dismissReviewUpdate = defineUpdate<ReviewVoteResult, [DismissInput]>('dismiss');
export const reviewStatusQuery = defineQuery<ReviewStatus>('status');
