import type { temporal } from '@temporalio/proto';
import { describe, expect, it, vi } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { approveReview, dismissReview, openReview, reviewResult, showReview } from '../../../client/delegation-reviews';
import { reviewStartFromRow } from '../../../client/review-vote-start';
import { findReview } from '../../../db/delegation/reviews';
import { listProvenance } from '../../../db/provenance/log';
import type { AbpSpecInput } from '../../../domain/delegation/schema';
import { delegationReviewWorkflowRef, type ReviewStart } from '../../../workflows/delegation/contract';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { principal, uniqueSpec } from './abp-fixtures';

const ctx = useIntegrationContext('review-vote-start');

/** A spec whose reviews revoke the ABP by default (by default one approval decides DRT-004's review). */
function revokingSpec(threshold?: number): AbpSpecInput {
  const spec = uniqueSpec();
  const review = spec.delegation_review!;
  const policy = { ...review.review_policy, output: 'abp_revoke' as const };
  return {
    ...spec,
    delegation_review: { ...review, review_policy: threshold === undefined ? policy : { ...policy, threshold } },
  };
}

/** A review stored without its workflow, as openReview stores it (dormant). */
async function storedWithoutWorkflow(opener: string, threshold?: number): Promise<ReviewStart> {
  const { abp } = await buildAbpFromSpec(ctx, revokingSpec(threshold), await testAdmin(ctx));
  const row = await openReview(ctx, abp.abp_id, 'DRT-004', opener);
  expect((await findReview(ctx.pool, row.reviewId))!.workflowStarted).toBe(false);
  return reviewStartFromRow(ctx, row);
}

/** Its workflow started by someone else (a monitor pass), from its row, without marking the row. */
async function startedElsewhere(reviewId: string) {
  const row = (await findReview(ctx.pool, reviewId))!;
  return ctx.temporal.workflow.start(delegationReviewWorkflowRef, {
    taskQueue: ctx.taskQueue,
    workflowId: reviewId,
    args: [await reviewStartFromRow(ctx, row)],
  });
}

describe('the first vote on a review stored without its workflow starts it (update-with-start)', () => {
  it('an approval starts it, counts, applies, and the row says started; its deadline counts from the opening', async () => {
    const rev = await principal(ctx, 'wake-approver', ['Reviewer']);
    const start = await storedWithoutWorkflow(rev);

    const vote = await approveReview(ctx, start.reviewId, { principal: rev, reason: 'program closed' });
    expect(vote).toMatchObject({ accepted: true, approvals: 1, decided: true });
    const final = await reviewResult(ctx, start.reviewId);
    expect(final.state).toBe('applied');
    const row = (await findReview(ctx.pool, start.reviewId))!;
    expect(row).toMatchObject({ state: 'applied', workflowStarted: true });
    expect(Date.parse(final.deadline!)).toBe(Date.parse(row.openedAt!) + start.policy.timeout_ms!);
    expect((await showReview(ctx, start.reviewId)).votes).toMatchObject([{ principal: rev, decision: 'approve' }]);
  });

  it('a dismissal starts it and dismisses it', async () => {
    const rev = await principal(ctx, 'wake-dismisser', ['Reviewer']);
    const start = await storedWithoutWorkflow(rev);

    const vote = await dismissReview(ctx, start.reviewId, { principal: rev, reason: 'not needed' });
    expect(vote).toMatchObject({ accepted: true, decided: true });
    expect((await reviewResult(ctx, start.reviewId)).state).toBe('dismissed');
    expect(await findReview(ctx.pool, start.reviewId)).toMatchObject({ state: 'dismissed', workflowStarted: true });
  });

  it('a workflow started meanwhile (its row not yet marked) takes the vote: no second run', async () => {
    const rev = await principal(ctx, 'wake-racer', ['Reviewer']);
    const start = await storedWithoutWorkflow(rev);
    // Started before the vote reads the row.
    const first = await startedElsewhere(start.reviewId);

    await approveReview(ctx, start.reviewId, { principal: rev, reason: 'program closed' });
    expect((await reviewResult(ctx, start.reviewId)).state).toBe('applied');
    expect((await first.describe()).runId).toBe(first.firstExecutionRunId);
    expect((await first.result()).approvals).toMatchObject([{ principal: rev }]);
    expect(await findReview(ctx.pool, start.reviewId)).toMatchObject({ workflowStarted: true });
  });

  it('a vote on a review whose workflow has closed starts nothing again', async () => {
    const rev = await principal(ctx, 'wake-late', ['Reviewer']);
    const start = await storedWithoutWorkflow(rev);
    // A run that closed while the row still says open and not started (e.g. terminated by an operator).
    const first = await startedElsewhere(start.reviewId);
    await first.terminate('test: closed before any vote');

    await expect(approveReview(ctx, start.reviewId, { principal: rev, reason: 'too late' })).rejects.toMatchObject({
      kind: 'conflict',
    });
    expect((await first.describe()).runId).toBe(first.firstExecutionRunId);
    expect((await first.describe()).status.name).toBe('TERMINATED');
  });

  it('a vote that starts a review past its deadline is refused, and the review times out', async () => {
    const rev = await principal(ctx, 'wake-overdue', ['Reviewer']);
    const start = await storedWithoutWorkflow(rev);
    // Opened 8 days ago: its 7-day deadline passed while it had no workflow.
    await ctx.pool.query(`UPDATE delegation_reviews SET opened_at = now() - interval '8 days' WHERE review_id = $1`, [
      start.reviewId,
    ]);

    await expect(approveReview(ctx, start.reviewId, { principal: rev, reason: 'too late' })).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(/passed its deadline/),
    });
    expect((await reviewResult(ctx, start.reviewId)).state).toBe('timed_out');
    expect(await findReview(ctx.pool, start.reviewId)).toMatchObject({ state: 'timed_out', workflowStarted: true });
    expect((await showReview(ctx, start.reviewId)).votes).toEqual([]);
  });
});

/**
 * Runs `votes` with every update-with-start they send held until all of them have sent one, then
 * let go together: each vote read the row as dormant (else it would not start), and the server
 * sees the starts race. What it returns is each vote's outcome.
 */
async function racedFirstVotes<T>(votes: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  const workflows = ctx.temporal.workflow;
  const send = workflows.executeUpdateWithStart.bind(workflows);
  let arrived = 0;
  let allArrived!: () => void;
  const together = new Promise<void>((resolve) => (allArrived = resolve));
  const spy = vi.spyOn(workflows, 'executeUpdateWithStart').mockImplementation(async (...args) => {
    if ((arrived += 1) === votes.length) allArrived();
    await together;
    return send(...(args as Parameters<typeof send>));
  });
  try {
    const sent = votes.map((vote) => vote());
    // A vote that ends without starting lets the others go, and fails the count below rather than hang.
    for (const vote of sent) vote.catch(() => undefined).finally(allArrived);
    const outcomes = await Promise.allSettled(sent);
    expect(spy).toHaveBeenCalledTimes(votes.length);
    return outcomes;
  } finally {
    spy.mockRestore();
  }
}

/** The names of the Updates the review's workflow accepted, in the order it took them, and its run ids. */
async function runsAndUpdates(reviewId: string) {
  const handle = ctx.temporal.workflow.getHandle(reviewId);
  const events: temporal.api.history.v1.IHistoryEvent[] = (await handle.fetchHistory()).events ?? [];
  const accepted = events
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
    .filter((name): name is string => typeof name === 'string');
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  // Every run under the review's id, once visibility lists the closed one (eventually consistent).
  const query = `WorkflowId = '${reviewId}'`;
  let runs: string[] = [];
  for (const until = Date.now() + 90_000; Date.now() < until;) {
    runs = [];
    let closed = false;
    for await (const w of ctx.temporal.workflow.list({ query })) {
      runs.push(w.runId);
      closed ||= w.status.name !== 'RUNNING';
    }
    if (closed) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { accepted, runs, describedRun: (await handle.describe()).runId, firstRun: started?.firstExecutionRunId };
}

/** The review's stored votes and its `review.applied` entries. */
async function storedOutcome(reviewId: string) {
  const { rows: votes } = await ctx.pool.query<{ principal: string; decision: string }>(
    'SELECT principal, decision FROM delegation_review_votes WHERE review_id = $1 ORDER BY principal',
    [reviewId],
  );
  const applied = await listProvenance(ctx.pool, { subject: `review:${reviewId}`, kind: 'review.applied' });
  return { votes, applied: applied.length };
}

describe('two first votes on a review stored without its workflow, both starting it (update-with-start)', () => {
  it('a deciding approval and a dismissal: one run, the vote it took first decides, the other is refused', async () => {
    const approver = await principal(ctx, 'race-approver', ['Reviewer']);
    const dismisser = await principal(ctx, 'race-dismisser', ['Reviewer']);
    const start = await storedWithoutWorkflow(approver);
    expect(start.policy.threshold).toBe(1);

    const [approval, dismissal] = await racedFirstVotes<unknown>([
      () => approveReview(ctx, start.reviewId, { principal: approver, reason: 'program closed' }),
      () => dismissReview(ctx, start.reviewId, { principal: dismisser, reason: 'not needed' }),
    ]);

    // Threshold 1: whichever vote the machine takes first decides the review (a dismissal being
    // recorded holds an approval back, a deciding approval holds a dismissal back), so the other is
    // refused as a conflict, by the machine or, its run closed, by REJECT_DUPLICATE.
    const outcomes = [approval!, dismissal!];
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o) => o.status === 'rejected')!;
    expect(lost.reason).toMatchObject({ kind: 'conflict' });
    const approved = approval!.status === 'fulfilled';
    const winner = approved ? 'approve' : 'dismiss';
    expect((approved ? approval : dismissal) as PromiseFulfilledResult<unknown>).toMatchObject({
      value: { accepted: true, decided: true },
    });

    const final = await reviewResult(ctx, start.reviewId);
    const { accepted, runs, describedRun, firstRun } = await runsAndUpdates(start.reviewId);
    expect(runs).toEqual([describedRun]);
    expect(describedRun).toBe(firstRun);
    // The vote it took first is the one that decided (the loser, if taken at all, came second).
    expect(accepted[0]).toBe(winner);
    expect(accepted.length).toBeLessThanOrEqual(2);

    const stored = await storedOutcome(start.reviewId);
    const row = (await findReview(ctx.pool, start.reviewId))!;
    expect(row.workflowStarted).toBe(true);
    if (approved) {
      expect(final).toMatchObject({ state: 'applied', dismissedBy: null });
      expect(final.approvals).toMatchObject([{ principal: approver }]);
      expect(row.state).toBe('applied');
      expect(stored).toEqual({ votes: [{ principal: approver, decision: 'approve' }], applied: 1 });
    } else {
      expect(final).toMatchObject({ state: 'dismissed', dismissedBy: dismisser, approvals: [] });
      expect(row.state).toBe('dismissed');
      expect(stored).toEqual({ votes: [{ principal: dismisser, decision: 'dismiss' }], applied: 0 });
    }
  });

  it('two approvals at threshold 2: one run, both counted, the review applied once', async () => {
    const [first, second] = [
      await principal(ctx, 'race-first', ['Reviewer']),
      await principal(ctx, 'race-second', ['Reviewer']),
    ];
    const start = await storedWithoutWorkflow(first, 2);
    expect(start.policy.threshold).toBe(2);

    // The same reason: a revocation's document is its reason, so both approve the same output.
    const outcomes = await racedFirstVotes([
      () => approveReview(ctx, start.reviewId, { principal: first, reason: 'program closed' }),
      () => approveReview(ctx, start.reviewId, { principal: second, reason: 'program closed' }),
    ]);

    const results = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason));
    expect(results).toMatchObject([{ accepted: true }, { accepted: true }]);
    const votes = results as { approvals: number; decided: boolean; outputHash: string }[];
    // Counted one after the other: the later saw both and decided the review.
    expect(votes.map((v) => v.approvals).sort()).toEqual([1, 2]);
    expect(votes.find((v) => v.approvals === 2)!.decided).toBe(true);
    expect(votes[0]!.outputHash).toBe(votes[1]!.outputHash);

    const final = await reviewResult(ctx, start.reviewId);
    expect(final.state).toBe('applied');
    expect(final.approvals.map((a) => a.principal).sort()).toEqual([first, second].sort());
    const { accepted, runs, describedRun, firstRun } = await runsAndUpdates(start.reviewId);
    expect(runs).toEqual([describedRun]);
    expect(describedRun).toBe(firstRun);
    expect(accepted).toEqual(['approve', 'approve']);
    expect(await findReview(ctx.pool, start.reviewId)).toMatchObject({ state: 'applied', workflowStarted: true });
    expect(await storedOutcome(start.reviewId)).toEqual({
      votes: [first, second].sort().map((p) => ({ principal: p, decision: 'approve' })),
      applied: 1,
    });
  });
});
