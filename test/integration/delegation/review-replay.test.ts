import { fileURLToPath } from 'node:url';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { buildAbpFromSpec, showAbp } from '../../../client/delegation';
import { approveReview, openReview, reviewResult, showReview } from '../../../client/delegation-reviews';
import type { Abp } from '../../../domain/delegation/schema';
import { ANNOUNCE_CONCLUSION_INLINE } from '../../../workflows/delegation/review-conclusion-inline';
import { OPENING_KNOWS_SUBSCRIBERS } from '../../../workflows/delegation/review-opening-subscribers';
import { OPENS_IN_ONE_TASK } from '../../../workflows/delegation/review-opening-task';
import { REOPEN_AFTER_FAILED_APPLY } from '../../../workflows/delegation/review-reopen';
import { APPROVAL_IN_ONE_LEAN_TASK } from '../../../workflows/delegation/review-approval-task';
import { DECIDING_VOTE_APPLIES } from '../../../workflows/delegation/review-vote-applies';
import { NOTIFY_PATCH } from '../../../workflows/notify';
import { bundleWithStandIn, patchIds } from '../../support/bundle-with-stand-in';
import { useIntegrationContext } from '../../support/integration';
import { principal, startWorkerAroundApply, uniqueSpec } from './fixtures';
import { testAdmin } from '../../support/principals';

const ctx = useIntegrationContext('delegation-review-replay');
const absent = fileURLToPath(new URL('./review-reopen-absent.ts', import.meta.url));
// That release came before reviews opened in one task too (a patch that implies the reopening one).
const openingAbsent = {
  request: /(^|\/)review-opening-task$/,
  standIn: fileURLToPath(new URL('./review-opening-task-absent.ts', import.meta.url)),
};

describe('reviews already running when reopening after a failed apply was released', () => {
  it('a review recorded by the earlier release fails as it did, and its history replays on the current code', async () => {
    const rev = await principal(ctx, 'replay', ['Reviewer']);
    const spec = uniqueSpec();
    const { abp } = await buildAbpFromSpec(ctx, spec, await testAdmin(ctx));
    const allowFax = { tools: { allow: [...abp.tools.allow, { name: 'fax.send', scope: null }] } };
    // The earlier release's workflow code, with the ABP rebuilt between the vote and the apply so the output fails.
    const earlier = await startWorkerAroundApply(
      ctx,
      async (real, input) => {
        await buildAbpFromSpec(
          ctx,
          { ...spec, tools: { ...spec.tools!, deny: [...spec.tools!.deny, { name: 'fax.send', reason: 'no faxes' }] } },
          await testAdmin(ctx),
        );
        return real(input);
      },
      await bundleWithStandIn(/(^|\/)review-reopen$/, absent, openingAbsent),
    );
    try {
      const review = await openReview(earlier.ctx, abp.abp_id, 'DRT-003', rev);
      await approveReview(earlier.ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_patch',
        document: allowFax,
        reason: 'faxes',
      });
      const final = await reviewResult(ctx, review.reviewId);
      expect(final).toMatchObject({
        state: 'failed',
        outcome: { state: 'failed', failure: [expect.stringMatching(/fax\.send/)] },
      });
      expect(final.outcome!.reopened).toBeUndefined();
      expect(await showReview(ctx, review.reviewId)).toMatchObject({ state: 'failed' });
      expect(((await showAbp(ctx, abp.abp_id)).abp as Abp).tools.allow.map((t) => t.name)).not.toContain('fax.send');

      const history = await ctx.temporal.workflow.getHandle(review.reviewId).fetchHistory();
      expect(patchIds(history)).not.toContain(REOPEN_AFTER_FAILED_APPLY);
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        history,
        review.reviewId,
      );
    } finally {
      await earlier.stop();
    }
  });

  /** A review of a fresh ABP, started now and approved (a revocation) until applied; its history. */
  async function appliedRevocation(name: string, triggerId: string) {
    const rev = await principal(ctx, name, ['Reviewer']);
    const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
    const review = await openReview(ctx, abp.abp_id, triggerId, rev);
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_revoke',
      document: { reason: 'done' },
      reason: 'done',
    });
    expect((await reviewResult(ctx, review.reviewId)).state).toBe('applied');
    return { review, history: await ctx.temporal.workflow.getHandle(review.reviewId).fetchHistory() };
  }

  it("a deciding approval now is recorded and applied by one local activity in its Update's task, and replays", async () => {
    const { review, history } = await appliedRevocation('vote-applies', 'DRT-002');
    // The lean approval's marker implies the deciding-vote patch (see the next test).
    expect(patchIds(history)).toContain(APPROVAL_IN_ONE_LEAN_TASK);
    const activities = (history.events ?? []).flatMap(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
    );
    expect(activities).not.toContain('recordReviewVote');
    expect(activities).not.toContain('applyReviewOutput');
    // review.opened is announced only when a subscription (of another test file) wanted it then.
    expect(localActivities(history)).toEqual([
      ...(openedSubscribed(history) ? ['startNotificationDelivery'] : []),
      'recordVoteAndApply',
      'startNotificationDelivery',
    ]);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      review.reviewId,
    );
  });

  it('a deciding approval now records one patch marker and upserts the search attributes once, with the outcome', async () => {
    const { review, history } = await appliedRevocation('lean', 'DRT-002');
    const events = history.events ?? [];
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const approval = events.slice(accepted);
    // One marker where the deciding-vote and inline-conclusion patches recorded one each (and an
    // upsert of TemporalChangeVersion each).
    expect(patchIds({ events: approval })).toEqual([APPROVAL_IN_ONE_LEAN_TASK]);
    expect(patchIds(history)).not.toContain(DECIDING_VOTE_APPLIES);
    expect(patchIds(history)).not.toContain(ANNOUNCE_CONCLUSION_INLINE);
    // The state upserted once, as applied: not again as open after the vote, nor as applying.
    const states = approval.flatMap((e) => {
      const state = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.WardenState;
      return state?.data ? [JSON.parse(Buffer.from(state.data).toString('utf8')) as string] : [];
    });
    expect(states).toEqual(['applied']);
    expect((await reviewResult(ctx, review.reviewId)).state).toBe('applied');
  });

  it('a review started now records the newest opening marker, which implies the one-task opening and reopening without their own markers', async () => {
    const { history } = await appliedRevocation('marker', 'DRT-001');
    expect(patchIds(history)).toContain(OPENING_KNOWS_SUBSCRIBERS);
    expect(patchIds(history)).not.toContain(OPENS_IN_ONE_TASK);
    expect(patchIds(history)).not.toContain(REOPEN_AFTER_FAILED_APPLY);
    expect(patchIds(history)).not.toContain(NOTIFY_PATCH);
  });

  it('a review approved now announces its conclusion as a local activity in its closing task, and replays', async () => {
    const { review, history } = await appliedRevocation('inline', 'DRT-002');
    expect(patchIds(history)).toContain(APPROVAL_IN_ONE_LEAN_TASK);
    const events = history.events ?? [];
    // review.concluded is a local activity's marker, not an activity (review.opened too, when a
    // subscription wanted it as the review was stored: see review-opening-subscribers.test.ts).
    const started = events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'startNotificationDelivery',
    );
    expect(started).toHaveLength(0);
    expect(localActivities(history).filter((type) => type === 'startNotificationDelivery')).toHaveLength(
      openedSubscribed(history) ? 2 : 1,
    );
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      review.reviewId,
    );
  });
});

/** Whether a subscription wanted review.opened when the review was stored (its start input says). */
function openedSubscribed(history: History): boolean {
  const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  return (JSON.parse(Buffer.from(input!).toString('utf8')) as { openedSubscribed?: boolean }).openedSubscribed === true;
}

/** The activity types of a history's local activities, in order, from their markers' data. */
function localActivities(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type] : [];
  });
}
