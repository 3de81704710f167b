import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  insertReviews,
  listReviewsDue,
  markOpened,
  markWorkflowStarted,
  type NewReview,
} from '../../../db/delegation/reviews';
import { loadMigrations } from '../../../db/migrate';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('reviews-due');

const HOUR = 3_600_000;

/** A review of an ABP id of this test's own (no ABP row is needed to store one). */
function review(timeoutMs: number | null, state: 'open' | 'queued' = 'open'): NewReview {
  return {
    abpId: `abp-due-${randomBytes(5).toString('hex')}`,
    abpHash: `sha256:${'0'.repeat(64)}`,
    triggerId: 'DRT-001',
    severity: 'warn',
    state,
    policy: { approver_role: 'Reviewer', threshold: 1, timeout_ms: timeoutMs, output: 'abp_patch' },
    reading: null,
    openedBy: state === 'open' ? 'monitor' : null,
  };
}

async function stored(r: NewReview) {
  const [row] = await insertReviews(ctx.pool, [r]);
  return row!;
}

/** The due reviews among `ids`, as a pass at `asOf` with `horizonMs` lists them. */
async function dueAmong(ids: string[], asOf: Date, horizonMs: number): Promise<string[]> {
  const due = await listReviewsDue(ctx.pool, { asOf: asOf.toISOString(), horizonMs });
  return due.map((r) => r.reviewId).filter((id) => ids.includes(id));
}

describe('a review stores its deadline; a pass lists the unstarted ones due before its horizon', () => {
  it('an opened review stores opened_at + timeout; a queued one none until it is opened; none without a timeout', async () => {
    const open = await stored(review(2 * HOUR));
    expect(Date.parse(open.deadlineAt!)).toBe(Date.parse(open.openedAt!) + 2 * HOUR);
    expect((await stored(review(null))).deadlineAt).toBeNull();

    const queued = await stored(review(3 * HOUR, 'queued'));
    expect(queued.deadlineAt).toBeNull();
    const opened = (await markOpened(ctx.pool, queued.reviewId, 'someone'))!;
    expect(Date.parse(opened.deadlineAt!)).toBe(Date.parse(opened.openedAt!) + 3 * HOUR);
  });

  it('lists the open, unstarted reviews whose deadline falls before asOf + horizon, oldest deadline first', async () => {
    const soon = await stored(review(1 * HOUR));
    const sooner = await stored(review(0.5 * HOUR));
    const later = await stored(review(10 * HOUR));
    const never = await stored(review(null));
    const started = await stored(review(1 * HOUR));
    await markWorkflowStarted(ctx.pool, [started.reviewId]);
    const queued = await stored(review(1 * HOUR, 'queued'));
    const ids = [soon, sooner, later, never, started, queued].map((r) => r.reviewId);
    const openedAt = new Date(soon.openedAt!);

    // At the opening with a 2-hour horizon: the 30-minute and 1-hour reviews, never the others.
    expect(await dueAmong(ids, openedAt, 2 * HOUR)).toEqual([sooner.reviewId, soon.reviewId]);
    // A short horizon a little later: only the one whose deadline is inside it.
    expect(await dueAmong(ids, new Date(openedAt.getTime() + 0.25 * HOUR), 0.5 * HOUR)).toEqual([sooner.reviewId]);
    // asOf is the caller's clock, not the database's: far ahead, every timed review is due.
    expect(await dueAmong(ids, new Date(openedAt.getTime() + 100 * HOUR), 0)).toEqual([
      sooner.reviewId,
      soon.reviewId,
      later.reviewId,
    ]);
    // Nothing before its horizon.
    expect(await dueAmong(ids, new Date(openedAt.getTime() - 10 * HOUR), HOUR)).toEqual([]);
  });

  it('migration 020 backfills the deadline of a review opened before it from opened_at + timeout', async () => {
    const old = await stored(review(4 * HOUR));
    const untimed = await stored(review(null));
    // As a row stored before the column existed.
    await ctx.pool.query(`UPDATE delegation_reviews SET deadline_at = NULL WHERE review_id = ANY($1::text[])`, [
      [old.reviewId, untimed.reviewId],
    ]);
    const migration = (await loadMigrations()).find((m) => m.version === 20)!;
    // Idempotent (IF NOT EXISTS, and only null deadlines are filled), as migrate() may run it again.
    await ctx.pool.query(migration.sql);

    const { rows } = await ctx.pool.query<{ review_id: string; deadline_at: Date | null }>(
      `SELECT review_id, deadline_at FROM delegation_reviews WHERE review_id = ANY($1::text[])`,
      [[old.reviewId, untimed.reviewId]],
    );
    const deadline = new Map(rows.map((r) => [r.review_id, r.deadline_at?.getTime() ?? null]));
    expect(deadline.get(old.reviewId)).toBe(Date.parse(old.openedAt!) + 4 * HOUR);
    expect(deadline.get(untimed.reviewId)).toBeNull();
  });
});
