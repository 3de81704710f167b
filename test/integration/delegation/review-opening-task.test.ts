import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { openReview } from '../../../client/delegation-reviews';
import { WardenState } from '../../../domain/search-attributes';
import { OPENS_IN_ONE_TASK } from '../../../workflows/delegation/review-opening-task';
import { patchIds } from '../../support/bundle-with-stand-in';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { principal, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('delegation-review-opening-task');

describe('a review opened now', () => {
  it('opens in one workflow task: its start attributes stand, review.opened is a local activity, and it replays', async () => {
    const rev = await principal(ctx, 'one-task', ['Reviewer']);
    const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);
    const handle = ctx.temporal.workflow.getHandle(review.reviewId);
    // The opening is done once its first task has completed and started the review's timeout timer.
    const deadline = Date.now() + 90_000;
    let history = await handle.fetchHistory();
    while (!(history.events ?? []).some((e) => e.timerStartedEventAttributes) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      history = await handle.fetchHistory();
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
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(WardenState)).toBe('open');
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      review.reviewId,
    );
  });
});
