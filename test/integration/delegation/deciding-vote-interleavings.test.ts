import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { approveReview, dismissReview, openReview, reviewResult, showReview } from '../../../client/delegation-reviews';
import { DEFAULT_REVIEW_POLICY } from '../../../domain/delegation/compose';
import type { ReviewStatus } from '../../../workflows/delegation/contract';
import { eventually } from '../endorsement/helpers';
import { useIntegrationContext, type IntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { patchIds } from '../../support/bundle-with-stand-in';
import { DEADLINE_RECHECKS_DECISION } from '../../../workflows/delegation/review-deadline-decision';
import { DISMISSAL_WAITS_FOR_DECIDING_VOTE } from '../../../workflows/delegation/review-dismissal-waits';
import { APPROVAL_WAITS_FOR_DISMISSAL } from '../../../workflows/delegation/review-approval-waits';
import { conflict } from '../../../domain/errors';
import { allowEmail } from './abp-fixtures';
import { principal, startWorkerAroundApply, uniqueSpec } from './fixtures';
import { holdPoint } from '../../support/hold-point';

const ctx = useIntegrationContext('delegation-deciding-interleavings');

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * A review whose deciding approval's apply (inside the local activity recordVoteAndApply) is held
 * until the test lets it go (with `refused`, its vote is held instead and then refused). While the local activity runs, the SDK keeps the workflow task open
 * and completes it every 80 % of the task timeout so that the server can hand over what arrived
 * meanwhile: that is how another vote, a dismissal or the timeout reaches the workflow while
 * `deciding` is set. The test lets the apply go once the history shows the workflow took it.
 */
async function heldDecidingVote(timeoutMs: number | null = DEFAULT_REVIEW_POLICY.timeout_ms, { refused = false } = {}) {
  const spec = uniqueSpec();
  const review = spec.delegation_review!;
  const { abp } = await buildAbpFromSpec(
    ctx,
    { ...spec, delegation_review: { ...review, review_policy: { ...review.review_policy, timeout_ms: timeoutMs } } },
    await testAdmin(ctx),
  );
  const hold = holdPoint();
  let applies = 0;
  const worker = await startWorkerAroundApply(
    ctx,
    async (real, input) => {
      // Only the deciding vote's apply is held; an apply that follows runs at once.
      if (!refused && (applies += 1) === 1) await hold.stop();
      return real(input);
    },
    undefined,
    async (real, input) => {
      if (!refused) return real(input);
      await hold.stop();
      throw conflict(`${input.principal}'s vote refused by the test`);
    },
  );
  const w: IntegrationContext = worker.ctx;
  const first = await principal(ctx, 'decider', ['Reviewer']);
  const opened = await openReview(w, abp.abp_id, 'DRT-002', first);
  const deciding = approveReview(w, opened.reviewId, {
    principal: first,
    outputKind: 'abp_patch',
    document: allowEmail(abp),
    reason: 'deciding',
  });
  deciding.catch(() => undefined);
  await hold.reached;
  return {
    w,
    abp,
    reviewId: opened.reviewId,
    deciding,
    release: hold.release,
    stop: () => worker.stop(),
    /** Once the history holds the event `find` finds and a workflow task completed after it (the workflow ran with it). */
    async taken(find: (events: HistoryEvent[]) => number, what: string): Promise<void> {
      await eventually(
        async () => {
          const events = (await w.temporal.workflow.getHandle(opened.reviewId).fetchHistory()).events ?? [];
          const at = find(events);
          return at >= 0 && events.slice(at + 1).some((e) => e.workflowTaskCompletedEventAttributes) ? what : '';
        },
        (found) => found === what,
      );
    },
  };
}

/** Where the `n`th Update was accepted in a history (-1: not yet). */
const updateAccepted = (n: number) => (events: HistoryEvent[]) =>
  events.map((e, i) => (e.workflowExecutionUpdateAcceptedEventAttributes ? i : -1)).filter((i) => i >= 0)[n - 1] ?? -1;

/** The review's end as its workflow, the database and the votes recorded tell it. */
async function ended(w: IntegrationContext, reviewId: string) {
  const result: ReviewStatus = await reviewResult(w, reviewId);
  const { rows } = await w.pool.query<{ principal: string; decision: string }>(
    'SELECT principal, decision FROM delegation_review_votes WHERE review_id = $1 ORDER BY principal',
    [reviewId],
  );
  const history = await w.temporal.workflow.getHandle(reviewId).fetchHistory();
  // The interleaving replays: the same commands in the same order from the history alone.
  const replayed = await Worker.runReplayHistory(
    { workflowBundle: { codePath: inject('workflowBundlePath') } },
    history,
    reviewId,
  ).then(
    () => 'replays',
    (error: unknown) => String(error),
  );
  return {
    workflow: result.state,
    stored: (await showReview(w, reviewId)).state,
    dismissedBy: result.dismissedBy,
    votes: rows,
    replayed,
    history,
  };
}

/** The review ended dismissed by `dismisser`, whose vote is the only one stored, and its history replays. */
async function dismissedAlone(w: IntegrationContext, reviewId: string, dismisser: string) {
  const end = await ended(w, reviewId);
  expect(end).toMatchObject({
    workflow: 'dismissed',
    stored: 'dismissed',
    dismissedBy: dismisser,
    replayed: 'replays',
  });
  expect(end.votes).toEqual([{ principal: dismisser, decision: 'dismiss' }]);
  return end;
}

describe('a dismissal being recorded (recordReviewVote) goes first', () => {
  it('an approval arriving meanwhile waits for it and is refused: nothing is stored and the review is dismissed', async () => {
    const { abp } = await buildAbpFromSpec(ctx, uniqueSpec(), await testAdmin(ctx));
    const hold = holdPoint();
    const worker = await startWorkerAroundApply(
      ctx,
      (real, input) => real(input),
      undefined,
      undefined,
      async (real, input) => {
        // The dismissal is stored, then held before the workflow hears of it.
        const accepted = await real(input);
        if (input.decision === 'dismiss') await hold.stop();
        return accepted;
      },
    );
    try {
      const w: IntegrationContext = worker.ctx;
      const [approver, dismisser] = [
        await principal(ctx, 'approver', ['Reviewer']),
        await principal(ctx, 'dismisser', ['Reviewer']),
      ];
      const { reviewId } = await openReview(w, abp.abp_id, 'DRT-002', approver);
      const dismissal = dismissReview(w, reviewId, { principal: dismisser, reason: 'not needed' });
      dismissal.catch(() => undefined);
      await hold.reached;
      const approval = approveReview(w, reviewId, {
        principal: approver,
        outputKind: 'abp_patch',
        document: allowEmail(abp),
        reason: 'late',
      }).then(
        () => 'accepted',
        (error: unknown) => String(error),
      );
      // The approval's handler ran while the dismissal was being recorded: its acceptance is
      // recorded with the completion of the workflow task that ran it.
      await eventually(
        async () => updateAccepted(2)((await w.temporal.workflow.getHandle(reviewId).fetchHistory()).events ?? []),
        (at) => at >= 0,
      );
      hold.release();
      await expect(dismissal).resolves.toMatchObject({ accepted: true, decided: true });
      expect(await approval).toMatch(/no longer open/);
      const end = await dismissedAlone(w, reviewId, dismisser);
      expect(patchIds(end.history)).toContain(APPROVAL_WAITS_FOR_DISMISSAL);
    } finally {
      hold.release();
      await worker.stop();
    }
  });
});

describe('a deciding approval in flight (recordVoteAndApply) goes first', () => {
  it('another approval arriving meanwhile waits for it and is then refused: the review is no longer open', async () => {
    const held = await heldDecidingVote();
    try {
      const second = await principal(ctx, 'late-approver', ['Reviewer']);
      const late = approveReview(held.w, held.reviewId, {
        principal: second,
        outputKind: 'abp_patch',
        document: allowEmail(held.abp),
        reason: 'late',
      }).then(
        () => 'accepted',
        (error: unknown) => String(error),
      );
      // Both Updates accepted: the late one's handler runs while the deciding one is applying.
      await held.taken(updateAccepted(2), 'late approval accepted');
      held.release();
      await expect(held.deciding).resolves.toMatchObject({ decided: true });
      expect(await late).toMatch(/no longer open/);
      const end = await ended(held.w, held.reviewId);
      expect(end).toMatchObject({ workflow: 'applied', stored: 'applied', replayed: 'replays' });
      expect(end.votes.map((v) => v.decision)).toEqual(['approve']);
    } finally {
      held.release();
      await held.stop();
    }
  });

  it('a dismissal arriving meanwhile waits for it and is refused: nothing is stored and the review is applied', async () => {
    const held = await heldDecidingVote();
    try {
      const dismisser = await principal(ctx, 'dismisser', ['Reviewer']);
      const dismissal = dismissReview(held.w, held.reviewId, { principal: dismisser, reason: 'not needed' }).then(
        () => 'accepted',
        (error: unknown) => String(error),
      );
      // The dismissal's handler ran while the deciding approval was applying.
      await held.taken(updateAccepted(2), 'dismissal accepted');
      held.release();
      await expect(held.deciding).resolves.toMatchObject({ decided: true });
      expect(await dismissal).toMatch(/no longer open/);
      const end = await ended(held.w, held.reviewId);
      expect(end).toMatchObject({
        workflow: 'applied',
        stored: 'applied',
        dismissedBy: null,
        replayed: 'replays',
      });
      expect(end.votes.map((v) => v.decision)).toEqual(['approve']);
      expect(patchIds(end.history)).toContain(DISMISSAL_WAITS_FOR_DECIDING_VOTE);
    } finally {
      held.release();
      await held.stop();
    }
  });

  it('a dismissal arriving meanwhile counts when the deciding approval is refused: the review is dismissed', async () => {
    const held = await heldDecidingVote(DEFAULT_REVIEW_POLICY.timeout_ms, { refused: true });
    try {
      const dismisser = await principal(ctx, 'dismisser', ['Reviewer']);
      const dismissal = dismissReview(held.w, held.reviewId, { principal: dismisser, reason: 'not needed' });
      dismissal.catch(() => undefined);
      await held.taken(updateAccepted(2), 'dismissal accepted');
      held.release();
      await expect(held.deciding).rejects.toThrow(/refused by the test/);
      await expect(dismissal).resolves.toMatchObject({ accepted: true, decided: true });
      await dismissedAlone(held.w, held.reviewId, dismisser);
    } finally {
      held.release();
      await held.stop();
    }
  });

  it('the timeout passing meanwhile waits for it: what it applied stands and the review does not time out', async () => {
    // Long enough for the approval to be accepted first on a loaded machine, short enough for the
    // held local activity (one minute at most) to see it pass.
    const held = await heldDecidingVote(20_000);
    try {
      await held.taken((events) => events.findIndex((e) => e.timerFiredEventAttributes), 'timeout fired');
      held.release();
      await expect(held.deciding).resolves.toMatchObject({ decided: true });
      const end = await ended(held.w, held.reviewId);
      expect(end).toMatchObject({ workflow: 'applied', stored: 'applied', replayed: 'replays' });
      expect(patchIds(end.history)).toContain(DEADLINE_RECHECKS_DECISION);
      const { rows } = await held.w.pool.query('SELECT 1 FROM delegation_escalations WHERE reference = $1', [
        held.reviewId,
      ]);
      expect(rows).toEqual([]);
    } finally {
      held.release();
      await held.stop();
    }
  });
});
