import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { evaluateDelegationTriggers } from '../../../activities/delegation/evaluation';
import { buildAbpFromSpec, checkAbpAction, composeAbp, runDelegationEvaluation } from '../../../client/delegation';
import { approveReview, openReview, reviewResult, reviews } from '../../../client/delegation-reviews';
import { findReview, type ReviewRow } from '../../../db/delegation/reviews';
import type { AbpSpecInput } from '../../../domain/delegation/schema';
import { reviewOpenedEvent } from '../../../domain/notifications/review-opened-event';
import { DUE_HORIZON_MS } from '../../../domain/delegation/review-due';
import { deliveryWorkflowId } from '../../../workflows/notifications/contract';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { principal, sendExternalEmail, uniqueSpec, whileSubscribedToOpened } from './fixtures';

// A database of its own: whether any subscription wants review.opened is global, and other test
// files' passes would announce their reviews while this file subscribes.
const ctx = useIntegrationContext('delegation-dormant-monitor', { ownDatabase: true });

const DAY = 86_400_000;

function specWithTimeout(timeoutMs: number | null): AbpSpecInput {
  const spec = uniqueSpec();
  const review = spec.delegation_review!;
  return {
    ...spec,
    delegation_review: { ...review, review_policy: { ...review.review_policy, timeout_ms: timeoutMs } },
  };
}

/** Six blocked irreversible actions trip DRT-002; the monitor pass after the sixth opens its review. */
async function monitorOpened(timeoutMs: number | null = 7 * DAY): Promise<{ row: ReviewRow; started: string[] }> {
  const { abp } = await buildAbpFromSpec(ctx, specWithTimeout(timeoutMs), await testAdmin(ctx));
  let evaluation = null;
  for (let n = 1; n <= 6; n++)
    evaluation = (await checkAbpAction(ctx, abp.abp_id, sendExternalEmail(abp.hash, n), { waitForEvaluation: true }))
      .evaluation;
  expect(evaluation?.opened).toEqual([`${abp.abp_id}.DRT-002.r1`]);
  return { row: (await findReview(ctx.pool, evaluation!.opened[0]!))!, started: evaluation!.started };
}

/** What a pass at `asOf` returns to start among `ids` (the activity itself, given the clock explicitly). */
async function toStartAt(abpIds: string[] | undefined, asOf: number, ids: string[], clock = true) {
  const result = await evaluateDelegationTriggers(
    { pool: ctx.pool, provenanceKey: ctx.provenanceKey },
    abpIds,
    clock ? { clock: { asOf: new Date(asOf).toISOString(), horizonMs: DUE_HORIZON_MS } } : {},
  );
  return result.toStart.filter((s) => ids.includes(s.reviewId));
}

/** As migration 020's backfill would have it: opened `ago` ms before now. */
async function openedAgo(row: ReviewRow, ago: number): Promise<void> {
  await ctx.pool.query(
    `UPDATE delegation_reviews SET opened_at = now() - $2::bigint * interval '1 millisecond',
            deadline_at = now() - $2::bigint * interval '1 millisecond' + (policy->>'timeout_ms')::bigint * interval '1 millisecond'
      WHERE review_id = $1`,
    [row.reviewId, ago],
  );
}

/** The review.opened deliveries stored for a review, whoever announced it. */
async function openedDeliveries(reviewId: string): Promise<string[]> {
  const { rows } = await ctx.pool.query<{ event_id: string }>(
    `SELECT event_id FROM webhook_deliveries WHERE subject = $1 AND event_type = 'review.opened'`,
    [reviewId],
  );
  return rows.map((r) => r.event_id);
}

describe('reviews the monitor opens are stored without their workflow until their deadline nears', () => {
  it('the pass that opens a 7-day review starts nothing; a pass starts it only once its deadline is within the horizon', async () => {
    const { row, started } = await monitorOpened();
    expect(started).toEqual([]);
    expect(row).toMatchObject({ state: 'open', openedBy: 'monitor', workflowStarted: false });
    expect(Date.parse(row.deadlineAt!)).toBe(Date.parse(row.openedAt!) + 7 * DAY);
    await expect(ctx.temporal.workflow.getHandle(row.reviewId).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    const deadline = Date.parse(row.deadlineAt!);
    const ids = [row.reviewId];

    expect(await toStartAt([row.abpId], Date.now(), ids)).toEqual([]);
    expect(await toStartAt([row.abpId], deadline - DUE_HORIZON_MS - 60_000, ids)).toEqual([]);
    // Within the horizon: started with its opening (its deadline counts from it), already announced.
    expect(await toStartAt([row.abpId], deadline - DUE_HORIZON_MS + 60_000, ids)).toEqual([
      expect.objectContaining({ reviewId: row.reviewId, openedAt: row.openedAt, openedAnnounced: true }),
    ]);
    expect(await toStartAt(undefined, deadline, ids)).toHaveLength(1);
    // A pass over other ABPs leaves it alone.
    expect(await toStartAt(['ABP-00000000'], deadline, ids)).toEqual([]);
    // A pass from before the monitor passed its clock starts every review without a workflow, as it did.
    const old = await toStartAt([row.abpId], Date.now(), ids, false);
    expect(old).toEqual([expect.objectContaining({ reviewId: row.reviewId })]);
    expect(old[0]).not.toHaveProperty('openedAt');
  });

  it('a review without a timeout is never due: only a vote starts it', async () => {
    const { row, started } = await monitorOpened(null);
    expect(started).toEqual([]);
    expect(row.deadlineAt).toBeNull();
    expect(await toStartAt([row.abpId], Date.now() + 3650 * DAY, [row.reviewId])).toEqual([]);
  });

  it('a review whose timeout is shorter than the horizon is started by the pass that opens it', async () => {
    const { row, started } = await monitorOpened(10 * 60_000);
    expect(started).toEqual([row.reviewId]);
    expect(await findReview(ctx.pool, row.reviewId)).toMatchObject({ workflowStarted: true });
    const description = await ctx.temporal.workflow.getHandle(row.reviewId).describe();
    expect(description.searchAttributes.WardenKind).toEqual(['review']);
    // Its deadline counts from its opening, not from the workflow's start.
    const status = await ctx.temporal.workflow.getHandle(row.reviewId).query<{ deadline: string | null }>('status');
    expect(Date.parse(status.deadline!)).toBe(Date.parse(row.openedAt!) + 10 * 60_000);
  });

  it('a dormant review past its deadline is started by the next pass and times out at once', async () => {
    const { row } = await monitorOpened();
    await openedAgo(row, 8 * DAY);

    const pass = await runDelegationEvaluation(ctx, [row.abpId]);
    expect(pass.started).toEqual([row.reviewId]);
    expect((await reviewResult(ctx, row.reviewId)).state).toBe('timed_out');
    expect(await findReview(ctx.pool, row.reviewId)).toMatchObject({ state: 'timed_out', workflowStarted: true });
  });
});

describe('review.opened of a review the monitor opens is announced by the pass that stored it', () => {
  it('once, with a subscription: a second pass and the start near its deadline announce nothing more', async () => {
    await whileSubscribedToOpened(ctx, async () => {
      const { row } = await monitorOpened();
      const event = reviewOpenedEvent(row, row.openedAt!);
      const delivery = ctx.temporal.workflow.getHandle(deliveryWorkflowId(event));
      await delivery.result();
      const firstRun = (await delivery.describe()).runId;
      expect(await openedDeliveries(row.reviewId)).toEqual([event.eventId]);

      // A second pass finds the review under review and announces nothing.
      expect((await runDelegationEvaluation(ctx, [row.abpId])).underReview).toEqual([`${row.abpId}/DRT-002`]);
      // Due: the pass starts it, already announced, so its workflow announces nothing either.
      await openedAgo(row, 8 * DAY);
      expect((await runDelegationEvaluation(ctx, [row.abpId])).started).toEqual([row.reviewId]);
      expect((await reviewResult(ctx, row.reviewId)).state).toBe('timed_out');
      expect(await openedDeliveries(row.reviewId)).toEqual([event.eventId]);
      // One delivery run, the first pass's.
      expect((await delivery.describe()).runId).toBe(firstRun);
    });
  });

  it('again by a retried attempt that finds the reviews its first attempt stored (idempotent by event id), never by a later pass', async () => {
    await whileSubscribedToOpened(ctx, async () => {
      const { abp } = await buildAbpFromSpec(ctx, specWithTimeout(7 * DAY), await testAdmin(ctx));
      for (let n = 1; n <= 6; n++) await checkAbpAction(ctx, abp.abp_id, sendExternalEmail(abp.hash, n));
      const announced: string[][] = [];
      const attempt = (retried: boolean) =>
        evaluateDelegationTriggers({ pool: ctx.pool, provenanceKey: ctx.provenanceKey }, [abp.abp_id], {
          clock: { asOf: new Date().toISOString(), horizonMs: DUE_HORIZON_MS },
          retried,
          announce: async (reviews) => void announced.push(reviews.map((r) => r.reviewId)),
        });
      // The per-ABP evaluations the writes asked for may have opened it already: whichever pass
      // stored it announced it; here the first of these attempts stores it unless one did.
      const first = await attempt(false);
      const reviewId = `${abp.abp_id}.DRT-002.r1`;
      expect(announced[0]).toEqual(first.opened.includes(reviewId) ? [reviewId] : []);
      await attempt(false);
      expect(announced[1]).toEqual([]);
      await attempt(true);
      expect(announced[2]).toEqual([reviewId]);
    });
  });

  it('not at all without a subscription: no delivery workflow is started', async () => {
    const { row } = await monitorOpened();
    const event = reviewOpenedEvent(row, row.openedAt!);
    await expect(ctx.temporal.workflow.getHandle(deliveryWorkflowId(event)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
    expect(await openedDeliveries(row.reviewId)).toEqual([]);
  });
});

describe("the reviews a revocation opens on the parent's children", () => {
  it('are stored without their workflow and announced once by the apply; a child due already is started by the review', async () => {
    await whileSubscribedToOpened(ctx, async () => {
      const admin = await testAdmin(ctx);
      const rev = await principal(ctx, 'child-revoker', ['Reviewer']);
      const parent = (await buildAbpFromSpec(ctx, uniqueSpec(), admin)).abp;
      const slow = (await buildAbpFromSpec(ctx, specWithTimeout(7 * DAY), admin)).abp;
      const quick = (await buildAbpFromSpec(ctx, specWithTimeout(10 * 60_000), admin)).abp;
      await composeAbp(ctx, parent.abp_id, [slow.abp_id, quick.abp_id], admin);
      const review = await openReview(ctx, parent.abp_id, 'DRT-004', rev);
      await approveReview(ctx, review.reviewId, {
        principal: rev,
        outputKind: 'abp_revoke',
        document: { reason: 'program closed' },
        reason: 'program closed',
      });
      const final = await reviewResult(ctx, review.reviewId);
      expect(final.state).toBe('applied');
      const [slowReview] = await reviews(ctx, { abpId: slow.abp_id, state: 'open' });
      const [quickReview] = await reviews(ctx, { abpId: quick.abp_id, state: 'open' });
      // Only the child whose timeout fits the horizon was handed back to be started.
      expect(final.outcome!.childReviews?.map((c) => c.reviewId)).toEqual([quickReview!.reviewId]);
      expect(final.outcome!.childReviews?.[0]).toMatchObject({
        openedAt: quickReview!.openedAt,
        openedAnnounced: true,
      });
      expect(slowReview).toMatchObject({ triggerId: 'parent_changed', workflowStarted: false });
      await expect(ctx.temporal.workflow.getHandle(slowReview!.reviewId).describe()).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
      expect((await ctx.temporal.workflow.getHandle(quickReview!.reviewId).describe()).status.name).toBe('RUNNING');
      // Each announced once, by the apply that stored it (the started one's workflow announces nothing).
      for (const child of [slowReview!, quickReview!]) {
        const event = reviewOpenedEvent(child, child.openedAt!);
        await ctx.temporal.workflow.getHandle(deliveryWorkflowId(event)).result();
        expect(await openedDeliveries(child.reviewId)).toEqual([event.eventId]);
      }
    });
  });
});

describe('the reviews a build that replaces an ABP opens on its children', () => {
  it('are stored without their workflow and announced once by the build', async () => {
    await whileSubscribedToOpened(ctx, async () => {
      const admin = await testAdmin(ctx);
      const spec = uniqueSpec();
      const parent = (await buildAbpFromSpec(ctx, { ...spec, created_at: '2026-01-01T00:00:00Z' }, admin)).abp;
      const child = (await buildAbpFromSpec(ctx, uniqueSpec(), admin)).abp;
      await composeAbp(ctx, parent.abp_id, [child.abp_id], admin);
      const replacement = await buildAbpFromSpec(ctx, { ...spec, created_at: '2026-02-01T00:00:00Z' }, admin);
      const [opened] = replacement.childReviews;
      const row = (await findReview(ctx.pool, opened!.reviewId))!;
      expect(row).toMatchObject({ triggerId: 'parent_changed', state: 'open', workflowStarted: false });
      const event = reviewOpenedEvent(row, row.openedAt!);
      await ctx.temporal.workflow.getHandle(deliveryWorkflowId(event)).result();
      expect(await openedDeliveries(row.reviewId)).toEqual([event.eventId]);
    });
  });
});
