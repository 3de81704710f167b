import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { approveReview, dismissReview, openReview, reviewResult, showReview } from '../../../client/delegation-reviews';
import { reviewStartFromRow } from '../../../client/review-vote-start';
import { findReview } from '../../../db/delegation/reviews';
import type { AbpSpecInput } from '../../../domain/delegation/schema';
import { delegationReviewWorkflowRef, type ReviewStart } from '../../../workflows/delegation/contract';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { principal, uniqueSpec } from './abp-fixtures';

const ctx = useIntegrationContext('review-vote-start');

/** A spec whose reviews revoke the ABP by default (one approval decides DRT-004's review). */
function revokingSpec(): AbpSpecInput {
  const spec = uniqueSpec();
  const review = spec.delegation_review!;
  return {
    ...spec,
    delegation_review: { ...review, review_policy: { ...review.review_policy, output: 'abp_revoke' } },
  };
}

/** A review stored without its workflow, as openReview stores it (dormant). */
async function storedWithoutWorkflow(opener: string): Promise<ReviewStart> {
  const { abp } = await buildAbpFromSpec(ctx, revokingSpec(), await testAdmin(ctx));
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
