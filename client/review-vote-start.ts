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
import { startOrFind } from '../domain/temporal/start-or-find';
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
 * review is the same. Its deadline counts from its opening (`openedAt`), not from this start, and
 * it announces nothing (`openedAnnounced`): its storer announced review.opened.
 *
 * A review stored without its workflow by an earlier release (a process that died between
 * storing it and starting it) was never announced either, and is not now: its workflow would
 * have announced it, so its webhook was lost with that start. It keeps its provenance entry and
 * is listed everywhere else; telling such rows apart would need a column for one old crash window.
 */
export async function reviewStartFromRow(ctx: WardenContext, row: ReviewRow): Promise<ReviewStart> {
  const abp = (await findVersionDocument(ctx.pool, row.abpHash)) as Abp | undefined;
  const triggerName = abp?.delegation_review?.triggers.find((t) => t.id === row.triggerId)?.name ?? row.triggerId;
  const start: ReviewStart = { ...reviewStartOf(row, triggerName), openedAnnounced: true };
  return row.openedAt === null ? start : { ...start, openedAt: row.openedAt };
}

/**
 * How a dormant review's workflow is started (by its first vote's update-with-start, or a test
 * waking it): its id is the review's. USE_EXISTING: a workflow started meanwhile by someone else (a
 * monitor pass) is the one; REJECT_DUPLICATE: a review whose workflow has closed is never started
 * again.
 */
export function dormantReviewStartOptions(ctx: WardenContext, start: ReviewStart) {
  return {
    workflowId: start.reviewId,
    taskQueue: ctx.taskQueue,
    args: [start] as [ReviewStart],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: reviewSearchAttributes(start),
    staticSummary: reviewSummary(start),
  };
}

/**
 * Gives a dormant review its workflow without a vote: the start its first vote makes (by default
 * from its row, as reviewStartFromRow builds it), then its row marked started. For the benchmark's
 * reviews with workflows and tests whose subject is the running workflow; a review already started
 * is left as it is.
 */
export async function wakeDormantReview(ctx: WardenContext, row: ReviewRow, start?: ReviewStart): Promise<void> {
  if (!row.workflowStarted) {
    const input = start ?? (await reviewStartFromRow(ctx, row));
    await startOrFind(() =>
      ctx.temporal.workflow.start(delegationReviewWorkflowRef, dormantReviewStartOptions(ctx, input)),
    );
  }
  await markWorkflowStarted(ctx.pool, [row.reviewId]);
}

/**
 * A vote (an approve or dismiss Update) sent to its review's workflow; a review whose workflow has
 * not started (its row says so) gets it started by this vote, in the same call (update-with-start,
 * dormantReviewStartOptions).
 */
export async function sendVoteUpdate<Ret, Arg>(
  ctx: WardenContext,
  row: ReviewRow,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  const args: [Arg] = [arg];
  if (row.workflowStarted) return ctx.temporal.workflow.getHandle(row.reviewId).executeUpdate(update, { args });
  const startWorkflowOperation = new WithStartWorkflowOperation(
    delegationReviewWorkflowRef,
    dormantReviewStartOptions(ctx, await reviewStartFromRow(ctx, row)),
  );
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
