import { ParentClosePolicy, proxyActivities, startChild, upsertSearchAttributes } from '@temporalio/workflow';
import type { DelegationActivities } from '../../activities/delegation';
import { WardenKind, WardenState } from '../../domain/search-attributes';
import { startOrFind } from '../../domain/temporal/start-or-find';
import { reviewSearchAttributes, reviewSummary, type EvaluationInput, type EvaluationSummary } from './contract';
import { delegationReviewWorkflow } from './review';

const acts = proxyActivities<DelegationActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumInterval: '30 seconds' } });

/**
 * One pass of the delegation monitor: evaluates the triggers (of `abpIds`, or of every active
 * ABP), then starts a review workflow for every open review that has none yet. Runs after each
 * intake and on the delegation monitor Schedule. The reviews outlive this short workflow.
 */
export async function delegationEvaluationWorkflow(input: EvaluationInput = {}): Promise<EvaluationSummary> {
  upsertSearchAttributes([
    { key: WardenKind, value: 'monitor' },
    { key: WardenState, value: 'evaluating' },
  ]);
  const result = await acts.evaluateDelegationTriggers({ abpIds: input.abpIds });
  const started: string[] = [];
  for (const review of result.toStart) {
    const child = await startOrFind(() =>
      startChild(delegationReviewWorkflow, {
        workflowId: review.reviewId,
        args: [review],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: reviewSearchAttributes(review),
        staticSummary: reviewSummary(review),
      }),
    );
    if (child) started.push(review.reviewId);
    await acts.markReviewStarted({ reviewId: review.reviewId });
  }
  upsertSearchAttributes([{ key: WardenState, value: 'done' }]);
  return { opened: result.opened, queued: result.queued, started, tripped: result.tripped, periodic: result.periodic };
}
