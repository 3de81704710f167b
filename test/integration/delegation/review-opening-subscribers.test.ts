import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { openReview } from '../../../client/delegation-reviews';
import { ReviewOpenCommit } from '../../../client/review-open-commit';
import { ReviewOpenReads } from '../../../client/review-open-reads';
import { delegationReviewWorkflowRef } from '../../../workflows/delegation/contract';
import { OPENING_KNOWS_SUBSCRIBERS } from '../../../workflows/delegation/review-opening-subscribers';
import { patchIds } from '../../support/bundle-with-stand-in';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { historyOnceOpened, principal, uniqueSpec, whileSubscribedToOpened } from './fixtures';

// A database of its own: whether any subscription wants review.opened is global, and other test
// files subscribe to it.
const ctx = useIntegrationContext('delegation-review-opening-subscribers', { ownDatabase: true });

const localActivityMarkers = (history: History) =>
  (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');

/** The review workflow's start input (its one argument) as recorded in its first event. */
function startInput(history: History): { openedSubscribed?: boolean } {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as { openedSubscribed?: boolean };
}

async function openedNow(name: string): Promise<{ reviewId: string; history: History }> {
  const rev = await principal(ctx, name, ['Reviewer']);
  const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
  const { reviewId } = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
  return { reviewId, history: await historyOnceOpened(ctx, reviewId) };
}

const announcedActivities = (history: History) =>
  localActivityMarkers(history).map(
    (e) =>
      (
        JSON.parse(
          Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString('utf8'),
        ) as { activity_type: string }
      ).activity_type,
  );

// Reviews the monitor opens are stored without their workflow and announced by the pass that stored
// them: dormant-monitor.test.ts.
describe('a review opened now knows from its start whether review.opened has subscribers', () => {
  it('with none, its opening runs no local activity (one task, one marker) and replays', async () => {
    const { reviewId, history } = await openedNow('no-subscriber');
    expect((history.events ?? []).some((e) => e.timerStartedEventAttributes)).toBe(true);
    expect(startInput(history).openedSubscribed).toBe(false);
    // The newest opening patch implies the one-task opening: still one marker per opening.
    expect(patchIds(history)).toEqual([OPENING_KNOWS_SUBSCRIBERS]);
    expect(localActivityMarkers(history)).toHaveLength(0);
    expect((history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, reviewId);
  });

  it('with a subscription stored before the opening, it announces review.opened with a local activity, and replays', async () => {
    await whileSubscribedToOpened(ctx, async () => {
      const { reviewId, history } = await openedNow('subscriber');
      expect(startInput(history).openedSubscribed).toBe(true);
      expect(patchIds(history)).toEqual([OPENING_KNOWS_SUBSCRIBERS]);
      expect(announcedActivities(history)).toEqual(['startNotificationDelivery']);
      await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, reviewId);
    });
  });

  it('started after its opening was announced by whoever stored it (openedAnnounced), it announces nothing though subscribed, and replays', async () => {
    await whileSubscribedToOpened(ctx, async () => {
      const rev = await principal(ctx, 'announced', ['Reviewer']);
      const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
      const start = await new ReviewOpenCommit(ctx).open(
        await new ReviewOpenReads(ctx).prepare({ abpId: abp.abp_id, triggerId: 'DRT-002', principal: rev }),
      );
      expect(start.openedSubscribed).toBe(true);
      await ctx.temporal.workflow.start(delegationReviewWorkflowRef, {
        taskQueue: ctx.taskQueue,
        workflowId: start.reviewId,
        args: [{ ...start, openedAnnounced: true }],
      });
      const history = await historyOnceOpened(ctx, start.reviewId);
      expect(patchIds(history)).toEqual([OPENING_KNOWS_SUBSCRIBERS]);
      expect(localActivityMarkers(history)).toHaveLength(0);
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        history,
        start.reviewId,
      );
    });
  });
});
