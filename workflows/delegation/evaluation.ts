import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { DelegationActivities } from '../../activities/delegation';
import { WardenKind, WardenState } from '../../domain/search-attributes';
import type { EvaluationInput, EvaluationSummary } from './contract';
import { passClock } from './monitor-clock';
import { startReviewWorkflows } from './start-reviews';

const acts = proxyActivities<DelegationActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumInterval: '30 seconds' },
});

/**
 * One pass of the delegation monitor: evaluates the triggers (of `abpIds`, or of every active
 * ABP), then starts a review workflow for every open review without one whose deadline is near
 * (monitor-clock.ts; before that patch, for every open review without one). Runs on the
 * delegation monitor Schedule (and per ABP, coalesced, in delegationAbpEvaluationWorkflow). The
 * reviews outlive this short workflow.
 */
export async function delegationEvaluationWorkflow(input: EvaluationInput = {}): Promise<EvaluationSummary> {
  upsertSearchAttributes([
    { key: WardenKind, value: 'monitor' },
    { key: WardenState, value: 'evaluating' },
  ]);
  const summary = await evaluateAndStartReviews(input.abpIds);
  upsertSearchAttributes([{ key: WardenState, value: 'done' }]);
  return summary;
}

/**
 * The pass itself, shared by the monitor and the per-ABP evaluation workflow: the evaluation
 * activity, then a review workflow for each review it returns to start (the due ones).
 */
export async function evaluateAndStartReviews(abpIds: string[] | undefined): Promise<EvaluationSummary> {
  const result = await acts.evaluateDelegationTriggers({ abpIds, ...passClock() });
  const started = await startReviewWorkflows(
    result.toStart,
    (reviewId) => acts.markReviewStarted({ reviewId }),
    (reviewIds) => acts.markReviewsStarted({ reviewIds }),
  );
  // Activity results recorded before `underReview` existed lack it: the summary then says none.
  return {
    opened: result.opened,
    queued: result.queued,
    started,
    tripped: result.tripped,
    periodic: result.periodic,
    underReview: result.underReview ?? [],
  };
}
