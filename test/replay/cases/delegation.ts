import type { WardenContext } from '../../../client/context';
import {
  buildAbpFromSpec,
  checkAbpAction,
  composeAbp,
  evaluationResult,
  ingestEvidence,
  runDelegationEvaluation,
  showAbp,
} from '../../../client/delegation';
import { abpEvaluationWorkflowId } from '../../../client/evaluation-requests';
import { approveReview, dismissReview, openReview, reviewResult, reviews } from '../../../client/delegation-reviews';
import { wakeReview } from '../../support/wake-review';
import { ReviewOpenCommit } from '../../../client/review-open-commit';
import { ReviewOpenReads } from '../../../client/review-open-reads';
import type { Abp, AbpSpecInput } from '../../../domain/delegation/schema';
import type { ReviewWorkflowState } from '../../../workflows/delegation/contract';
import {
  allowEmail,
  allowTool,
  principal,
  sendExternalEmail,
  uniqueSpec,
} from '../../integration/delegation/abp-fixtures';
import { testAdmin } from '../../support/principals';
import { holdPoint } from '../../support/hold-point';
import type { WardenActivities } from '../recording-stack';
import {
  BEFORE_NOTIFICATIONS,
  BEFORE_REOPENING,
  BEFORE_STARTED_TOGETHER,
  BEFORE_APPROVAL_WAITS,
  BEFORE_DISMISSAL_WAITS,
  BEFORE_VOTE_APPLIES,
  BEFORE_MONITOR_CLOCK,
  onEarlierRelease,
} from './earlier-release';
import { listed, until, type Recorded, type ReplayCase } from './replay-case';

/** The demo ABP under a contract of its own, with its review policy changed. */
function spec(policy: { threshold?: number; timeout_ms?: number | null } = {}): AbpSpecInput {
  const demo = uniqueSpec();
  const review = demo.delegation_review!;
  return { ...demo, delegation_review: { ...review, review_policy: { ...review.review_policy, ...policy } } };
}

const reviewer = (ctx: WardenContext, name: string) => principal(ctx, name, ['Reviewer']);

/**
 * Activities whose first apply runs just after someone rebuilt the ABP with fax.send denied: an
 * approved patch that allows fax.send then fails at apply time.
 */
function raceApply(ctx: WardenContext, base: AbpSpecInput) {
  let raced = false;
  const race = async () => {
    if (raced) return;
    raced = true;
    await buildAbpFromSpec(
      ctx,
      { ...base, tools: { ...base.tools!, deny: [...base.tools!.deny, { name: 'fax.send', reason: 'no faxes' }] } },
      await testAdmin(ctx),
    );
  };
  return (real: WardenActivities): Partial<WardenActivities> => ({
    async applyReviewOutput(input) {
      await race();
      return real.applyReviewOutput(input);
    },
    // The deciding approval's step (review-vote-applies.ts): the vote, the rebuild, then the apply.
    async recordVoteAndApply(input) {
      const vote = await real.recordReviewVote(input.vote);
      await race();
      return { vote, outcome: await real.applyReviewOutput(input.apply) };
    },
  });
}

/**
 * Activities whose deciding approval (recordVoteAndApply) is held between its vote and its apply
 * until `release`: what lets a dismissal reach the review while the approval is in flight.
 */
function heldDecidingApply() {
  const hold = holdPoint();
  const activities = (real: WardenActivities): Partial<WardenActivities> => ({
    async recordVoteAndApply(input) {
      const vote = await real.recordReviewVote(input.vote);
      await hold.stop();
      return { vote, outcome: await real.applyReviewOutput(input.apply) };
    },
  });
  return { activities, applying: hold.reached, release: hold.release };
}

/**
 * A dismissal that arrives while the deciding approval is applying: refused once the approval
 * applied (review-dismissal-waits.ts); on the release before, recorded and answered as accepted.
 * `on` runs the workflows with `held`'s activities; the approval is let go once the history shows
 * the dismissal accepted (and, before the patch, its vote recorded) and a workflow task after it.
 */
async function dismissedWhileDeciding(
  ctx: WardenContext,
  on: WardenContext,
  held: ReturnType<typeof heldDecidingApply>,
  before: boolean,
): Promise<string> {
  const [rev, dismisser] = [await reviewer(ctx, 'decider'), await reviewer(ctx, 'dismisser')];
  const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
  const review = await openedAsReleased(on, abp.abp_id, 'DRT-002', rev);
  const deciding = approveReview(on, review.reviewId, {
    principal: rev,
    outputKind: 'abp_patch',
    document: allowEmail(abp),
    reason: 'candidates must hear back',
  });
  await held.applying;
  const dismissal = dismissReview(on, review.reviewId, { principal: dismisser, reason: 'not needed' });
  const settled = dismissal.then(
    () => 'accepted',
    () => 'refused',
  );
  await until(
    async () => {
      const events = (await ctx.temporal.workflow.getHandle(review.reviewId).fetchHistory()).events ?? [];
      const marks = events.map((e, i) =>
        (before ? e.activityTaskCompletedEventAttributes : e.workflowExecutionUpdateAcceptedEventAttributes) ? i : -1,
      );
      const seen = Math.max(...marks);
      const updates = events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
      return updates === 2 && seen >= 0 && events.slice(seen + 1).some((e) => e.workflowTaskCompletedEventAttributes);
    },
    (taken) => taken,
    'the dismissal taken while the approval applies',
  );
  held.release();
  await deciding;
  const answered = await settled;
  if (answered !== (before ? 'accepted' : 'refused'))
    throw new Error(`the dismissal was ${answered} ${before ? 'before' : 'after'} the patch`);
  await concluded(ctx, review.reviewId, 'applied');
  return review.reviewId;
}

/** Activities whose dismissal votes are held, once stored, until `release`: what lets an approval arrive meanwhile. */
function heldDismissal() {
  const hold = holdPoint();
  const activities = (real: WardenActivities): Partial<WardenActivities> => ({
    async recordReviewVote(input) {
      const accepted = await real.recordReviewVote(input);
      if (input.decision === 'dismiss') await hold.stop();
      return accepted;
    },
  });
  return { activities, recording: hold.reached, release: hold.release };
}

/**
 * An approval that arrives while a dismissal is being recorded: refused once the dismissal is
 * recorded (review-approval-waits.ts), and the review is dismissed; on the release before, it
 * decided and applied the review, and the dismissal recorded first was answered as accepted.
 */
async function approvedWhileDismissing(
  ctx: WardenContext,
  on: WardenContext,
  held: ReturnType<typeof heldDismissal>,
  before: boolean,
): Promise<string> {
  const [approver, dismisser] = [await reviewer(ctx, 'approver'), await reviewer(ctx, 'dismisser')];
  const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
  const review = await openedAsReleased(on, abp.abp_id, 'DRT-002', approver);
  const dismissal = dismissReview(on, review.reviewId, { principal: dismisser, reason: 'not needed' });
  await held.recording;
  const approval = approveReview(on, review.reviewId, {
    principal: approver,
    outputKind: 'abp_patch',
    document: allowEmail(abp),
    reason: 'candidates must hear back',
  }).then(
    () => 'accepted',
    () => 'refused',
  );
  await until(
    async () =>
      ((await ctx.temporal.workflow.getHandle(review.reviewId).fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
      ).length,
    (accepted) => accepted === 2,
    'the approval accepted while the dismissal is recorded',
  );
  held.release();
  await dismissal;
  const answered = await approval;
  if (answered !== (before ? 'accepted' : 'refused'))
    throw new Error(`the approval was ${answered} ${before ? 'before' : 'after'} the patch`);
  await concluded(ctx, review.reviewId, before ? 'applied' : 'dismissed');
  return review.reviewId;
}

async function concluded(ctx: WardenContext, reviewId: string, expected: ReviewWorkflowState): Promise<void> {
  const final = await reviewResult(ctx, reviewId);
  if (final.state !== expected) throw new Error(`review ${reviewId} ended ${final.state}, expected ${expected}`);
}

/**
 * openReview as the releases these cases recorded it: its workflow started at its opening, with
 * the start input of that time (openings are dormant now; wakeReview `asReleased`), so that
 * recording a case again records the path its histories stand for.
 */
async function openedAsReleased(ctx: WardenContext, abpId: string, triggerId: string, principal: string) {
  const row = await openReview(ctx, abpId, triggerId, principal);
  await wakeReview(ctx, row.reviewId, { asReleased: true });
  return row;
}

/** An ABP with one child (whose reviews time out after `childTimeoutMs`), revoked by an approved review. */
async function revokedParent(ctx: WardenContext, childTimeoutMs: number): Promise<{ reviewId: string; child: string }> {
  const rev = await reviewer(ctx, 'rev');
  const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
  const { abp: child } = await buildAbpFromSpec(ctx, spec({ timeout_ms: childTimeoutMs }), await testAdmin(ctx));
  await composeAbp(ctx, abp.abp_id, [child.abp_id], await testAdmin(ctx));
  const review = await openedAsReleased(ctx, abp.abp_id, 'DRT-001', rev);
  await approveReview(ctx, review.reviewId, {
    principal: rev,
    outputKind: 'abp_revoke',
    document: { reason: 'program closed' },
    reason: 'program closed',
  });
  await concluded(ctx, review.reviewId, 'applied');
  return { reviewId: review.reviewId, child: child.abp_id };
}

const reviewCase = (
  name: string,
  record: (ctx: WardenContext, stack: Parameters<ReplayCase['record']>[0]) => Promise<string>,
): ReplayCase => ({
  workflow: 'delegationReviewWorkflow',
  name,
  record: async (stack) => [{ caseName: name, workflowId: await record(stack.ctx, stack) }],
});

/** A person opens the review, its workflow started at once (as released; see openedAsReleased). */
const openedWithWorkflow = async (ctx: WardenContext, abpId: string, rev: string) =>
  (await openedAsReleased(ctx, abpId, 'DRT-002', rev)).reviewId;

/**
 * The review is stored without its workflow, which its first vote starts (update-with-start): the
 * start carries `openedAt`, so its deadline counts from the opening.
 */
const storedWithoutWorkflow = async (ctx: WardenContext, abpId: string, rev: string) =>
  (
    await new ReviewOpenCommit(ctx).open(
      await new ReviewOpenReads(ctx).prepare({ abpId, triggerId: 'DRT-002', principal: rev }),
    )
  ).row.reviewId;

/** One approval of a patch decides and applies the review, opened by `open`. */
const approvedPatchOpenedBy =
  (open: typeof openedWithWorkflow) =>
  async (ctx: WardenContext): Promise<string> => {
    const rev = await reviewer(ctx, 'rev');
    const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
    const reviewId = await open(ctx, abp.abp_id, rev);
    await approveReview(ctx, reviewId, {
      principal: rev,
      outputKind: 'abp_patch',
      document: allowEmail(abp),
      reason: 'candidates must hear back',
    });
    await concluded(ctx, reviewId, 'applied');
    return reviewId;
  };

const approvedPatch = approvedPatchOpenedBy(openedWithWorkflow);

/** N of M: two approvers must name the same output; a vote for another output does not count. */
async function thresholdTwoOfThree(ctx: WardenContext): Promise<string> {
  const [ann, ben, cat] = [await reviewer(ctx, 'ann'), await reviewer(ctx, 'ben'), await reviewer(ctx, 'cat')];
  const { abp } = await buildAbpFromSpec(ctx, spec({ threshold: 2 }), await testAdmin(ctx));
  const review = await openedAsReleased(ctx, abp.abp_id, 'DRT-003', ann);
  await approveReview(ctx, review.reviewId, {
    principal: ann,
    outputKind: 'abp_patch',
    document: allowEmail(abp),
    reason: 'needed',
  });
  await approveReview(ctx, review.reviewId, {
    principal: ben,
    outputKind: 'abp_patch',
    document: allowEmail(abp, 'bid'),
    reason: 'narrower',
  });
  await approveReview(ctx, review.reviewId, {
    principal: cat,
    outputKind: 'abp_patch',
    document: allowEmail(abp),
    reason: 'agree with ann',
  });
  await concluded(ctx, review.reviewId, 'applied');
  return review.reviewId;
}

/**
 * Behind the review-reopens-after-failed-apply patch: the ABP is rebuilt between the vote and the
 * apply (fax.send denied; `on` is a worker whose activities race so), the approved patch fails,
 * the review reopens, a corrected one applies.
 */
async function reopenedThenApplied(ctx: WardenContext, on: WardenContext, base: AbpSpecInput): Promise<string> {
  const rev = await reviewer(ctx, 'late');
  const { abp } = await buildAbpFromSpec(ctx, base, await testAdmin(ctx));
  const review = await openedAsReleased(on, abp.abp_id, 'DRT-002', rev);
  await approveReview(on, review.reviewId, {
    principal: rev,
    outputKind: 'abp_patch',
    document: allowTool(abp, 'fax.send'),
    reason: 'faxes',
  });
  await until(
    () => ctx.temporal.workflow.getHandle(review.reviewId).query<{ state: string; lastFailure?: unknown }>('status'),
    (s) => s.state === 'open' && Boolean(s.lastFailure),
    'the review reopened after the failed apply',
  );
  const now = (await showAbp(ctx, abp.abp_id)).abp as Abp;
  await approveReview(on, review.reviewId, {
    principal: rev,
    outputKind: 'abp_patch',
    document: allowTool(now, 'fax.receive'),
    reason: 'receive only',
  });
  await concluded(ctx, review.reviewId, 'applied');
  return review.reviewId;
}

export const reviewCases: ReplayCase[] = [
  reviewCase('approved-patch', approvedPatch),
  reviewCase('started-by-first-vote-approved', approvedPatchOpenedBy(storedWithoutWorkflow)),
  reviewCase('approved-patch.before-vote-applies', (_ctx, stack) =>
    onEarlierRelease(stack, BEFORE_VOTE_APPLIES, approvedPatch),
  ),
  reviewCase('approved-replace', async (ctx) => {
    const rev = await reviewer(ctx, 'rev');
    const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
    const review = await openedAsReleased(ctx, abp.abp_id, 'DRT-002', rev);
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_replace',
      document: { ...spec(), tools: allowEmail(abp).tools },
      reason: 'fresh start',
    });
    await concluded(ctx, review.reviewId, 'applied');
    return review.reviewId;
  }),
  reviewCase('approved-revoke', async (ctx) => {
    const rev = await reviewer(ctx, 'rev');
    const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
    const review = await openedAsReleased(ctx, abp.abp_id, 'DRT-001', rev);
    await approveReview(ctx, review.reviewId, {
      principal: rev,
      outputKind: 'abp_revoke',
      document: { reason: 'compromised' },
      reason: 'compromised',
    });
    await concluded(ctx, review.reviewId, 'applied');
    return review.reviewId;
  }),
  reviewCase('approved-revoke-parent-starts-child-reviews', async (ctx) => {
    // The revoked ABP has a child whose review is due at once (its 10-minute timeout is within the
    // monitor's horizon): the review starts the child's parent_changed review (a patch marker).
    return (await revokedParent(ctx, 10 * 60_000)).reviewId;
  }),
  reviewCase('approved-revoke-parent-children-dormant', async (ctx) => {
    // The revoked ABP has a child with a 7-day review: stored without its workflow, it is not
    // started by the review (no child start, no patch marker); its first vote or a pass will.
    const { reviewId, child } = await revokedParent(ctx, 7 * 86_400_000);
    const [dormant] = await reviews(ctx, { abpId: child, state: 'open' });
    if (!dormant || dormant.workflowStarted) throw new Error(`the child's review of ${child} is not dormant`);
    return reviewId;
  }),
  reviewCase('timed-out-escalated', async (ctx) => {
    // The policy's timeout (7 days by default; 2 s here: the history is the same but for the
    // duration) passes without a decision, and DRT-004's escalation path fires.
    const rev = await reviewer(ctx, 'opener');
    const { abp } = await buildAbpFromSpec(ctx, spec({ timeout_ms: 2000 }), await testAdmin(ctx));
    const review = await openedAsReleased(ctx, abp.abp_id, 'DRT-004', rev);
    await concluded(ctx, review.reviewId, 'timed_out');
    return review.reviewId;
  }),
  reviewCase('dismissed-no-timeout', async (ctx) => {
    const rev = await reviewer(ctx, 'rev');
    const { abp } = await buildAbpFromSpec(ctx, spec({ timeout_ms: null }), await testAdmin(ctx));
    const review = await openedAsReleased(ctx, abp.abp_id, 'DRT-003', rev);
    await dismissReview(ctx, review.reviewId, { principal: rev, reason: 'not needed' });
    await concluded(ctx, review.reviewId, 'dismissed');
    return review.reviewId;
  }),
  reviewCase('dismissed-while-deciding', async (ctx, stack) => {
    const held = heldDecidingApply();
    const holding = await stack.workerWith({ activities: held.activities });
    try {
      return await dismissedWhileDeciding(ctx, holding.ctx, held, false);
    } finally {
      held.release();
      await holding.stop();
    }
  }),
  reviewCase('dismissed-while-deciding.before-dismissal-waits', (ctx, stack) => {
    const held = heldDecidingApply();
    return onEarlierRelease(
      stack,
      BEFORE_DISMISSAL_WAITS,
      (earlier) => dismissedWhileDeciding(ctx, earlier, held, true).finally(held.release),
      held.activities,
    );
  }),
  reviewCase('approved-while-dismissing', async (ctx, stack) => {
    const held = heldDismissal();
    const holding = await stack.workerWith({ activities: held.activities });
    try {
      return await approvedWhileDismissing(ctx, holding.ctx, held, false);
    } finally {
      held.release();
      await holding.stop();
    }
  }),
  reviewCase('approved-while-dismissing.before-approval-waits', (ctx, stack) => {
    const held = heldDismissal();
    return onEarlierRelease(
      stack,
      BEFORE_APPROVAL_WAITS,
      (earlier) => approvedWhileDismissing(ctx, earlier, held, true).finally(held.release),
      held.activities,
    );
  }),
  reviewCase('threshold-2-of-3', thresholdTwoOfThree),
  reviewCase('threshold-2-of-3.before-vote-applies', (_ctx, stack) =>
    onEarlierRelease(stack, BEFORE_VOTE_APPLIES, thresholdTwoOfThree),
  ),
  reviewCase('apply-failed-reopened-applied', async (ctx, stack) => {
    const base = spec();
    const racing = await stack.workerWith({ activities: raceApply(ctx, base) });
    try {
      return await reopenedThenApplied(ctx, racing.ctx, base);
    } finally {
      await racing.stop();
    }
  }),
  reviewCase('apply-failed-reopened-applied.before-vote-applies', (ctx, stack) => {
    const base = spec();
    return onEarlierRelease(
      stack,
      BEFORE_VOTE_APPLIES,
      (earlier) => reopenedThenApplied(ctx, earlier, base),
      raceApply(ctx, base),
    );
  }),
  reviewCase('apply-failed.before-reopening', async (ctx, stack) => {
    // Started by the release before reviews reopened: no marker, and the failed apply is final.
    const rev = await reviewer(ctx, 'late');
    const base = spec();
    const { abp } = await buildAbpFromSpec(ctx, base, await testAdmin(ctx));
    return onEarlierRelease(
      stack,
      BEFORE_REOPENING,
      async (earlier) => {
        const review = await openedAsReleased(earlier, abp.abp_id, 'DRT-002', rev);
        await approveReview(earlier, review.reviewId, {
          principal: rev,
          outputKind: 'abp_patch',
          document: allowTool(abp, 'fax.send'),
          reason: 'faxes',
        });
        await concluded(ctx, review.reviewId, 'failed');
        return review.reviewId;
      },
      raceApply(ctx, base),
    );
  }),
  reviewCase('approved-patch.before-notifications', (_ctx, stack) =>
    onEarlierRelease(stack, BEFORE_NOTIFICATIONS, approvedPatch),
  ),
];

/**
 * Six blocked emails trip DRT-002 and the monitor pass run after the last one opens the review;
 * the pass starts the review's workflow (before MONITOR_PASSES_ITS_CLOCK always, after it only
 * when the review's deadline is within the pass's horizon: `timeoutMs` under DUE_HORIZON_MS), and
 * an approval applies the patch.
 */
async function trippedStartedReview(
  ctx: WardenContext,
  on: WardenContext,
  names: [string, string?],
  timeoutMs?: number,
): Promise<Recorded[]> {
  const rev = await reviewer(ctx, 'rita');
  const { abp } = await buildAbpFromSpec(
    ctx,
    spec(timeoutMs === undefined ? {} : { timeout_ms: timeoutMs }),
    await testAdmin(ctx),
  );
  for (let n = 1; n <= 6; n++)
    await checkAbpAction(on, abp.abp_id, sendExternalEmail(abp.hash, n), { waitForEvaluation: true });
  const [review] = await reviews(ctx, { abpId: abp.abp_id, state: 'open' });
  if (!review) throw new Error(`no review opened for ${abp.abp_id}`);
  const parent = (await ctx.temporal.workflow.getHandle(review.reviewId).describe()).parentExecution;
  if (!parent?.workflowId || !parent.runId)
    throw new Error(`review ${review.reviewId} was not started by a monitor pass`);
  await approveReview(on, review.reviewId, {
    principal: rev,
    outputKind: 'abp_patch',
    document: allowEmail(abp),
    reason: 'candidates must hear back',
  });
  await concluded(ctx, review.reviewId, 'applied');
  const [pass, approved] = names;
  return [
    { caseName: pass, workflowId: parent.workflowId, runId: parent.runId },
    ...(approved ? [{ caseName: approved, workflowId: review.reviewId }] : []),
  ];
}

/** The completed monitor passes over `abpId` started since `since`, oldest first. */
async function passesSince(ctx: WardenContext, since: Date, what: string) {
  return until(
    () =>
      listed(
        ctx,
        `WorkflowType = 'delegationEvaluationWorkflow' AND StartTime >= '${since.toISOString()}' AND ExecutionStatus = 'Completed'`,
      ),
    (w) => w.length > 0,
    what,
  );
}

/** A pass over a fresh ABP that trips nothing (on `on`'s workflow code). */
async function nothingTripped(ctx: WardenContext, on: WardenContext, caseName: string): Promise<Recorded[]> {
  const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
  const since = new Date(Date.now() - 1000);
  const summary = await runDelegationEvaluation(on, [abp.abp_id]);
  if (summary.pending || summary.started.length > 0)
    throw new Error(`unexpected evaluation: ${JSON.stringify(summary)}`);
  const passes = await passesSince(ctx, since, 'the monitor pass');
  return [{ caseName, workflowId: passes.at(-1)!.workflowId }];
}

/**
 * Writes that do not wait: three repeats of one fingerprint trip DRT-001; the per-ABP workflow
 * opens the review (and, before MONITOR_PASSES_ITS_CLOCK, starts it), answers the requests, then
 * ends after a minute idle.
 */
async function coalescedTrippedIdle(ctx: WardenContext, on: WardenContext, caseName: string): Promise<Recorded[]> {
  const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
  const row = () =>
    JSON.stringify({
      kind: 'drift_signal',
      abp_id: abp.abp_id,
      type: 'fallback',
      severity: 'green',
      fingerprint: { key: 'fp-replay', version: 1 },
      observed_at: new Date(Date.now() - 60_000).toISOString(),
    });
  let last = '';
  for (let i = 0; i < 3; i++) last = (await ingestEvidence(on, row())).evaluationRequests![abp.abp_id]!;
  await on.deferred.settle();
  await until(
    () => evaluationResult(on, abp.abp_id, last),
    (r) => r !== null,
    'the coalesced evaluation',
  );
  const workflowId = abpEvaluationWorkflowId(abp.abp_id);
  await ctx.temporal.workflow.getHandle(workflowId).result();
  return [{ caseName, workflowId }];
}

export const evaluationCases: ReplayCase[] = [
  {
    workflow: 'delegationEvaluationWorkflow',
    name: 'tripped-started-review.before-monitor-clock',
    // A pass of the release that started every review it opened (no clock, no horizon).
    record: (stack) =>
      onEarlierRelease(stack, BEFORE_MONITOR_CLOCK, (earlier) =>
        trippedStartedReview(stack.ctx, earlier, ['tripped-started-review.before-monitor-clock']),
      ),
  },
  {
    workflow: 'delegationEvaluationWorkflow',
    name: 'tripped-started-review.before-started-together',
    // A monitor pass of the release that started and marked its reviews one at a time.
    record: (stack) =>
      onEarlierRelease(stack, BEFORE_STARTED_TOGETHER, (earlier) =>
        trippedStartedReview(stack.ctx, earlier, ['tripped-started-review.before-started-together']),
      ),
  },
  {
    workflow: 'delegationEvaluationWorkflow',
    name: 'tripped-due-review-started',
    // A review whose 10-minute timeout ends within the pass's horizon: the pass that opens it starts it.
    record: ({ ctx }) =>
      trippedStartedReview(ctx, ctx, ['tripped-due-review-started', 'due-started-by-monitor-approved'], 10 * 60_000),
  },
  {
    workflow: 'delegationEvaluationWorkflow',
    name: 'tripped-review-dormant',
    async record({ ctx }) {
      // A 7-day review: the pass that opens it stores it without its workflow and starts nothing.
      const { abp } = await buildAbpFromSpec(ctx, spec(), await testAdmin(ctx));
      const since = new Date(Date.now() - 1000);
      for (let n = 1; n <= 6; n++)
        await checkAbpAction(ctx, abp.abp_id, sendExternalEmail(abp.hash, n), { waitForEvaluation: true });
      const [review] = await reviews(ctx, { abpId: abp.abp_id, state: 'open' });
      if (!review || review.workflowStarted) throw new Error(`no dormant review opened for ${abp.abp_id}`);
      const passes = await passesSince(ctx, since, 'the pass that opened the review');
      for (const pass of passes) {
        const summary = await ctx.temporal.workflow.getHandle(pass.workflowId).result();
        if ((summary as { opened: string[] }).opened.includes(review.reviewId))
          return [{ caseName: 'tripped-review-dormant', workflowId: pass.workflowId }];
      }
      throw new Error(`no pass reported opening ${review.reviewId}`);
    },
  },
  {
    workflow: 'delegationEvaluationWorkflow',
    name: 'nothing-tripped',
    record: ({ ctx }) => nothingTripped(ctx, ctx, 'nothing-tripped'),
  },
  {
    workflow: 'delegationEvaluationWorkflow',
    name: 'nothing-tripped.before-monitor-clock',
    record: (stack) =>
      onEarlierRelease(stack, BEFORE_MONITOR_CLOCK, (earlier) =>
        nothingTripped(stack.ctx, earlier, 'nothing-tripped.before-monitor-clock'),
      ),
  },
  {
    workflow: 'delegationAbpEvaluationWorkflow',
    name: 'coalesced-tripped-idle',
    record: ({ ctx }) => coalescedTrippedIdle(ctx, ctx, 'coalesced-tripped-idle'),
  },
  {
    workflow: 'delegationAbpEvaluationWorkflow',
    name: 'coalesced-tripped-idle.before-monitor-clock',
    record: (stack) =>
      onEarlierRelease(stack, BEFORE_MONITOR_CLOCK, (earlier) =>
        coalescedTrippedIdle(stack.ctx, earlier, 'coalesced-tripped-idle.before-monitor-clock'),
      ),
  },
];
