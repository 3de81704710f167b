import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { findVersionDocument } from '../db/delegation/abps';
import { markWorkflowStarted, reviewStartOf, type ReviewRow } from '../db/delegation/reviews';
import type { Abp } from '../domain/delegation/schema';
import { conflict } from '../domain/errors';
import {
  delegationReviewWorkflowRef,
  reviewSearchAttributes,
  reviewSummary,
  type ReviewStart,
} from '../workflows/delegation/contract';
import type { WardenContext } from './context';

/**
 * The start of a review stored without its workflow, from its row: the same input whoever starts
 * it (its first vote here, a monitor pass near its deadline), so that whichever start wins, the
 * review is the same. Its deadline counts from its opening (`openedAt`), not from this start.
 */
export async function reviewStartFromRow(ctx: WardenContext, row: ReviewRow): Promise<ReviewStart> {
  const abp = (await findVersionDocument(ctx.pool, row.abpHash)) as Abp | undefined;
  const triggerName = abp?.delegation_review?.triggers.find((t) => t.id === row.triggerId)?.name ?? row.triggerId;
  const start = reviewStartOf(row, triggerName);
  return row.openedAt === null ? start : { ...start, openedAt: row.openedAt };
}

/**
 * A vote (an approve or dismiss Update) sent to its review's workflow; a review whose workflow has
 * not started (its row says so) gets it started by this vote, in the same call (update-with-start).
 * USE_EXISTING: a workflow started meanwhile by someone else (a monitor pass) takes the vote
 * instead; REJECT_DUPLICATE: a review whose workflow has closed is never started again.
 */
export async function sendVoteUpdate<Ret, Arg>(
  ctx: WardenContext,
  row: ReviewRow,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  const args: [Arg] = [arg];
  if (row.workflowStarted) return ctx.temporal.workflow.getHandle(row.reviewId).executeUpdate(update, { args });
  const start = await reviewStartFromRow(ctx, row);
  const startWorkflowOperation = new WithStartWorkflowOperation(delegationReviewWorkflowRef, {
    workflowId: row.reviewId,
    taskQueue: ctx.taskQueue,
    args: [start],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: reviewSearchAttributes(start),
    staticSummary: reviewSummary(start),
  });
  let started = false;
  try {
    const result = await ctx.temporal.workflow.executeUpdateWithStart(update, { args, startWorkflowOperation });
    started = true;
    return result;
  } catch (error) {
    // A refused vote still started (or found) the workflow; only a refused start did not.
    started = error instanceof WorkflowUpdateFailedError;
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      throw conflict(`review ${row.reviewId} is no longer open (its workflow has closed)`);
    throw error;
  } finally {
    // Its row says so, for showReview's live status and the monitor's passes.
    if (started) await markWorkflowStarted(ctx.pool, [row.reviewId]);
  }
}
