import type { History } from '@temporalio/common/lib/proto-utils';
import type { WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities } from '../../../activities';
import type { ApplyInput, ApplyOutcome } from '../../../activities/delegation/apply-output';
import { failFastOnInputErrors } from '../../../activities/input-failures';
import { recordVote, type AcceptedVote, type VoteInput } from '../../../activities/delegation/review-votes';
import { voteAndApply, type VoteAndApplyInput } from '../../../activities/delegation/vote-and-apply';
import type { IntegrationContext } from '../../support/integration';
import { createWardenWorker } from '../../../worker/create-worker';
import { deleteSubscription, insertSubscription } from '../../../db/notifications/subscriptions';
import { unique } from './abp-fixtures';

export { buildUniqueAbp, principal, sendExternalEmail, unique, uniqueSpec } from './abp-fixtures';

type ApplyActivity = (input: ApplyInput) => Promise<ApplyOutcome>;
type VoteStep = (input: VoteInput) => ReturnType<typeof recordVote>;
type ReviewVoteActivity = (input: VoteInput) => Promise<AcceptedVote>;

/**
 * A worker of its own for one test, on its own task queue (with this run's workflow bundle unless
 * given another), whose applyReviewOutput activity, and the apply of recordVoteAndApply (the
 * deciding vote's), run `around` the real one: a test uses it to change the world between a vote
 * and its application; `aroundVote`, if given, runs around the vote of recordVoteAndApply (e.g. to
 * hold it, or refuse it), and `aroundReviewVote` around the recordReviewVote activity (a vote that
 * does not decide, a dismissal). Returns a context that starts workflows on that queue.
 */
export async function startWorkerAroundApply(
  base: IntegrationContext,
  around: (real: ApplyActivity, input: ApplyInput) => Promise<ApplyOutcome>,
  workflowBundle: WorkerOptions['workflowBundle'] = { codePath: inject('workflowBundlePath') },
  aroundVote: (real: VoteStep, input: VoteInput) => ReturnType<VoteStep> = (real, input) => real(input),
  aroundReviewVote: (real: ReviewVoteActivity, input: VoteInput) => ReturnType<ReviewVoteActivity> = (real, input) =>
    real(input),
): Promise<{ ctx: IntegrationContext; stop(): Promise<void> }> {
  const taskQueue = unique('around-apply');
  const deps = { pool: base.pool, config: base.config, provenanceKey: base.provenanceKey };
  const activities = createActivities(deps);
  const { worker, connection } = await createWardenWorker({
    ...deps,
    taskQueue,
    workflowBundle,
    overrides: {
      shutdownGraceTime: '1s',
      activities: {
        ...activities,
        applyReviewOutput: (input: ApplyInput) => around(activities.applyReviewOutput, input),
        recordReviewVote: (input: VoteInput) => aroundReviewVote(activities.recordReviewVote, input),
        // The apply reads afresh here (not from the vote's reading), so that it sees what `around` changed.
        recordVoteAndApply: (input: VoteAndApplyInput) =>
          failFastOnInputErrors(() =>
            voteAndApply(
              (vote) => aroundVote((v) => recordVote(deps, v), vote),
              (apply) => around(activities.applyReviewOutput, apply),
              input,
            ),
          ),
      },
    },
  });
  const running = worker.run();
  return {
    ctx: { ...base, taskQueue },
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/**
 * A review's history once its opening is done: its first task completed and started the review's
 * timeout timer (polled for up to 90 s).
 */
export async function historyOnceOpened(ctx: IntegrationContext, reviewId: string): Promise<History> {
  const handle = ctx.temporal.workflow.getHandle(reviewId);
  const deadline = Date.now() + 90_000;
  let history = await handle.fetchHistory();
  while (!(history.events ?? []).some((e) => e.timerStartedEventAttributes) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    history = await handle.fetchHistory();
  }
  return history;
}

/**
 * Runs `work` while a webhook subscription (to an address nobody listens on) wants review.opened,
 * and deletes it after. Whether any subscription wants it is global: for files with a database of
 * their own (useIntegrationContext's `ownDatabase`).
 */
export async function whileSubscribedToOpened(ctx: IntegrationContext, work: () => Promise<void>): Promise<void> {
  const subscription = await insertSubscription(ctx.pool, {
    url: 'http://127.0.0.1:9/hook',
    events: ['review.opened'],
    secret: 'review-opened-subscriber-secret',
    maxAttempts: 1,
    createdBy: null,
  });
  try {
    await work();
  } finally {
    await deleteSubscription(ctx.pool, subscription.id);
  }
}
