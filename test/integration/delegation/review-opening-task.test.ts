import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { openReview } from '../../../client/delegation-reviews';
import { WardenState } from '../../../domain/search-attributes';
import { OPENS_IN_ONE_TASK } from '../../../workflows/delegation/review-opening-task';
import { bundleWithStandIn, patchIds } from '../../support/bundle-with-stand-in';
import { useIntegrationContext } from '../../support/integration';
import { wakeReview } from '../../support/wake-review';
import { testAdmin } from '../../support/principals';
import { historyOnceOpened, principal, startWorkerAroundApply, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('delegation-review-opening-task');

// The release before reviews took from their start whether review.opened has subscribers
// (review-opening-subscribers.ts): it asked with a local activity at every opening.
const subscribersAbsent = fileURLToPath(new URL('./review-opening-subscribers-absent.ts', import.meta.url));

describe('a review opened in one task (the release before review-opening-knows-subscribers)', () => {
  it('opens in one workflow task: its start attributes stand, review.opened is a local activity, and it replays on the current code', async () => {
    const rev = await principal(ctx, 'one-task', ['Reviewer']);
    const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
    const earlier = await startWorkerAroundApply(
      ctx,
      (real, input) => real(input),
      await bundleWithStandIn(/(^|\/)review-opening-subscribers$/, subscribersAbsent),
    );
    let reviewId: string;
    let history;
    try {
      reviewId = (await openReview(earlier.ctx, abp.abp_id, 'DRT-002', rev)).reviewId;
      // Started as that release started it, at its opening (openings are dormant now).
      await wakeReview(earlier.ctx, reviewId, { asReleased: true });
      history = await historyOnceOpened(ctx, reviewId);
    } finally {
      await earlier.stop();
    }
    const events = history.events ?? [];
    expect(events.some((e) => e.timerStartedEventAttributes)).toBe(true);
    // Its one patch marker implies the older reopening and notification patches, which it no longer asks.
    expect(patchIds(history)).toEqual([OPENS_IN_ONE_TASK]);
    // Before: the attributes upserted again, an activity task for review.opened, a second workflow task.
    // (Each patch marker still comes with the SDK's own upsert of TemporalChangeVersion.)
    const upserted = events.flatMap((e) =>
      Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    );
    expect(upserted.length).toBeGreaterThan(0);
    expect(upserted.filter((key) => key !== 'TemporalChangeVersion')).toEqual([]);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(1);
    // The attributes the client started it with are what the server shows.
    const described = await ctx.temporal.workflow.getHandle(reviewId).describe();
    expect(described.typedSearchAttributes.get(WardenState)).toBe('open');
    // Recorded by the earlier release, replayed on the current code.
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, reviewId);
  });
});
