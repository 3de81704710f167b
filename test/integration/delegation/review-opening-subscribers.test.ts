import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { WorkflowNotFoundError } from '@temporalio/client';
import { openReview } from '../../../client/delegation-reviews';
import { findReview, reviewStartOf, type ReviewRow } from '../../../db/delegation/reviews';
import { listDeliveries } from '../../../db/notifications/deliveries';
import type { ReviewStart } from '../../../domain/delegation/review-start';
import { reviewOpenedEvent } from '../../../domain/notifications/review-opened-event';
import { deliveryWorkflowId } from '../../../workflows/notifications/contract';
import { wakeReview } from '../../support/wake-review';
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
function startInput(history: History): Partial<ReviewStart> {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as Partial<ReviewStart>;
}

/** A person opens a review (dormant: no workflow). */
async function openedNow(name: string): Promise<{ row: ReviewRow }> {
  const rev = await principal(ctx, name, ['Reviewer']);
  const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
  return { row: await openReview(ctx, abp.abp_id, 'DRT-002', rev) };
}

/** The review.opened delivery workflow its storer starts (its id derives from the review's). */
const openedDelivery = (row: ReviewRow) =>
  ctx.temporal.workflow.getHandle(deliveryWorkflowId(reviewOpenedEvent(row, row.openedAt!)));

const notFound = (describing: Promise<unknown>) => expect(describing).rejects.toBeInstanceOf(WorkflowNotFoundError);

const announcedActivities = (history: History) =>
  localActivityMarkers(history).map(
    (e) =>
      (
        JSON.parse(
          Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString('utf8'),
        ) as { activity_type: string }
      ).activity_type,
  );

describe('a review a person opens is stored dormant, and its storer announces review.opened', () => {
  it('opening starts no workflow: no review workflow, no delivery when nobody subscribed; woken, it announces nothing', async () => {
    const { row } = await openedNow('no-subscriber');
    expect(row).toMatchObject({ state: 'open', workflowStarted: false });
    expect(await findReview(ctx.pool, row.reviewId)).toMatchObject({ state: 'open', workflowStarted: false });
    await notFound(ctx.temporal.workflow.getHandle(row.reviewId).describe());
    await notFound(openedDelivery(row).describe());

    await wakeReview(ctx, row.reviewId);
    const history = await historyOnceOpened(ctx, row.reviewId);
    expect(startInput(history)).toMatchObject({ openedAnnounced: true, openedAt: row.openedAt });
    expect(localActivityMarkers(history)).toHaveLength(0);
    expect(await findReview(ctx.pool, row.reviewId)).toMatchObject({ workflowStarted: true });
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      row.reviewId,
    );
  });

  it('with a subscription stored before the opening, review.opened is delivered once, by the opening; its workflow announces nothing', async () => {
    await whileSubscribedToOpened(ctx, async () => {
      const { row } = await openedNow('subscriber');
      // The delivery started by openReview itself: the review has no workflow yet.
      await notFound(ctx.temporal.workflow.getHandle(row.reviewId).describe());
      const delivery = openedDelivery(row);
      await delivery.result();
      const deliveries = (await listDeliveries(ctx.pool, { eventType: 'review.opened', limit: 1000 })).filter(
        (d) => d.subject === row.reviewId,
      );
      expect(deliveries.map((d) => d.eventId)).toEqual([`evt_opened_${row.reviewId}`]);

      // Its workflow, once started (as its first vote starts it), does not announce it again.
      await wakeReview(ctx, row.reviewId);
      const history = await historyOnceOpened(ctx, row.reviewId);
      expect(startInput(history)).toMatchObject({ openedAnnounced: true });
      expect(announcedActivities(history)).toEqual([]);
      expect(
        (await listDeliveries(ctx.pool, { eventType: 'review.opened', limit: 1000 })).filter(
          (d) => d.subject === row.reviewId,
        ),
      ).toHaveLength(1);
    });
  });
});

// Reviews the monitor opens are stored without their workflow and announced by the pass that stored
// them: dormant-monitor.test.ts.
describe('a review started after its opening was announced', () => {
  it('started after its opening was announced by whoever stored it (openedAnnounced), it announces nothing though subscribed, and replays', async () => {
    await whileSubscribedToOpened(ctx, async () => {
      const rev = await principal(ctx, 'announced', ['Reviewer']);
      const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
      const { row, openedSubscribed } = await new ReviewOpenCommit(ctx).open(
        await new ReviewOpenReads(ctx).prepare({ abpId: abp.abp_id, triggerId: 'DRT-002', principal: rev }),
      );
      expect(openedSubscribed).toBe(true);
      const start = reviewStartOf(row, 'stand-in trigger name');
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
