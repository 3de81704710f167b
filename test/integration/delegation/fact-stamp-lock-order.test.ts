import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { APPEND_LOCK } from '../../../db/provenance/log';
import { approveReview, openReview, reviewResult } from '../../../client/delegation-reviews';
import { useIntegrationContext } from '../../support/integration';
import { eventually } from '../endorsement/helpers';
import { allowTool, buildUniqueAbp } from './abp-fixtures';
import { principal, startWorkerAroundApply } from './fixtures';

const ctx = useIntegrationContext('delegation-fact-stamp-lock-order');

/** Whether the session `pid` waits for a lock (PGlite has one session: nothing ever waits there). */
async function waitsForLock(pool: pg.Pool, pid: number): Promise<boolean> {
  const { rows } = await pool.query<{ waiting: boolean }>(
    `SELECT coalesce(bool_or(wait_event_type = 'Lock'), false) AS waiting FROM pg_stat_activity WHERE pid = $1`,
    [pid],
  );
  return rows[0]!.waiting;
}

/** Whether any session waits for one that `pid` holds a lock for. */
async function blocksAnother(pool: pg.Pool, pid: number): Promise<boolean> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
    [pid],
  );
  return rows[0]!.n > 0;
}

async function sessionPid(client: pg.PoolClient): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

/** A review of `abp` opened by `rev` and approved with a patch, once it is applied (by `racing`'s worker). */
async function patchApplied(racing: typeof ctx, abp: Awaited<ReturnType<typeof buildUniqueAbp>>, rev: string) {
  const review = await openReview(racing, abp.abp_id, 'DRT-002', rev);
  await approveReview(racing, review.reviewId, {
    principal: rev,
    outputKind: 'abp_patch',
    document: allowTool(abp, 'fax.send'),
    reason: 'faxes',
  });
  expect((await reviewResult(racing, review.reviewId)).state).toBe('applied');
  return review;
}

/**
 * An ABP's change stamp (migration 016) is a row that every change to the ABP's facts updates and
 * every red or yellow drift signal too. Writers that append provenance take the chain's lock; the
 * intake flush takes it first and then stores drift, while an ABP change used to update its rows
 * (and so lock the stamp) before appending. Two such transactions on one ABP locked in opposite
 * orders: PostgreSQL found the deadlock after a second and aborted one of them.
 */
describe("the provenance chain's lock and the rows a change locks are taken in one order", () => {
  it('a change to the ABP that appends provenance after, and a drift flush holding the chain lock, both commit', async () => {
    const abp = await buildUniqueAbp(ctx);
    const change = await ctx.pool.connect();
    const flush = await ctx.pool.connect();
    try {
      const flushPid = await sessionPid(flush);
      await change.query('BEGIN');
      // The change updates its rows first (the stamp trigger runs here) ...
      await change.query('UPDATE abp_current SET updated_at = now() WHERE abp_id = $1', [abp.abp_id]);
      // ... while a drift flush holds the chain's lock and stores a red signal for the same ABP.
      const flushed = (async () => {
        await flush.query('BEGIN');
        await flush.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
        await flush.query(
          `INSERT INTO drift_signals (signal_id, abp_id, type, severity, fingerprint_key, fingerprint_version, observed_at)
           VALUES ($1, $2, 'bypass', 'red', 'lock-order', 'v1', now())`,
          [`lock-order-${randomBytes(6).toString('hex')}`, abp.abp_id],
        );
        await flush.query('COMMIT');
      })().then(
        () => 'committed',
        async (error: unknown) => {
          await flush.query('ROLLBACK');
          return String(error);
        },
      );
      // On PostgreSQL the flush now waits (for the chain lock, or for the stamp row before the fix);
      // on PGlite its transaction waits for this one's to end, which nothing can observe.
      if (process.env.DATABASE_URL)
        await eventually(
          () => waitsForLock(ctx.pool, flushPid),
          (waiting) => waiting,
          60_000,
        );
      // ... and then the change appends its provenance entry: it takes the chain's lock.
      const changed = await change.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]).then(
        () => change.query('COMMIT').then(() => 'committed'),
        async (error: unknown) => {
          await change.query('ROLLBACK');
          return String(error);
        },
      );
      expect({ change: changed, flush: await flushed }).toEqual({ change: 'committed', flush: 'committed' });
    } finally {
      change.release();
      flush.release();
    }
  });

  it('an apply and a late vote on its review, both taking the chain lock with their BEGIN, both commit', async () => {
    const abp = await buildUniqueAbp(ctx);
    const rev = await principal(ctx, 'lock-order-rev', ['Reviewer']);
    const vote = await ctx.pool.connect();
    let voted: string | undefined;
    let firstApply: string | undefined;
    const racing = await startWorkerAroundApply(ctx, async (real, input) => {
      // Only the first attempt races (a retry after a deadlock must not hide it).
      if (voted !== undefined) return real(input);
      const votePid = await sessionPid(vote);
      // A late vote: it takes the chain's lock with its BEGIN and then locks the review's row, as
      // recordReviewVote does (it used to lock the row first and take the chain's lock when it appended) ...
      await vote.query('BEGIN');
      await vote.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      await vote.query('SELECT 1 FROM delegation_reviews WHERE review_id = $1 FOR UPDATE', [input.reviewId]);
      const applied = real(input).then(
        (outcome) => ((firstApply = 'applied'), outcome),
        (error: unknown) => {
          firstApply = String(error);
          throw error;
        },
      );
      // ... the apply waits for the chain's lock, holding no row (PGlite: its transaction waits for this one) ...
      if (process.env.DATABASE_URL)
        await eventually(
          () => blocksAnother(ctx.pool, votePid),
          (blocking) => blocking,
          60_000,
        );
      // ... and the vote commits.
      voted = await vote.query('COMMIT').then(
        () => 'committed',
        async (error: unknown) => {
          await vote.query('ROLLBACK');
          return String(error);
        },
      );
      return applied;
    });
    try {
      await patchApplied(racing.ctx, abp, rev);
      // Neither was aborted (before, PostgreSQL found a deadlock and the apply ran again).
      expect({ voted, firstApply }).toEqual({ voted: 'committed', firstApply: 'applied' });
    } finally {
      vote.release();
      await racing.stop();
    }
  });

  it("a duplicate opening of a review being applied, queued before the apply for the chain's lock, is refused as already open and the apply commits", async () => {
    const abp = await buildUniqueAbp(ctx);
    const rev = await principal(ctx, 'lock-order-dup', ['Reviewer']);
    const gate = await ctx.pool.connect();
    let duplicate: string | undefined;
    let firstApply: string | undefined;
    const racing = await startWorkerAroundApply(ctx, async (real, input) => {
      // Only the first attempt races (a retry after a deadlock must not hide it).
      if (firstApply !== undefined) return real(input);
      const gatePid = await sessionPid(gate);
      const waitingBehindGate = (n: number) =>
        process.env.DATABASE_URL
          ? eventually(
              () =>
                ctx.pool.query<{ n: number }>(
                  'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
                  [gatePid],
                ),
              (r) => r.rows[0]!.n >= n,
              60_000,
            )
          : Promise.resolve();
      // Another appender holds the chain's lock; a second opening of the same trigger queues for it first ...
      await gate.query('BEGIN');
      await gate.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
      const opened = openReview(ctx, abp.abp_id, 'DRT-002', rev).then(
        () => 'opened',
        (error: unknown) => String(error),
      );
      await waitingBehindGate(1);
      // ... then the apply (before the rule: it locked the review's row, then queued for the chain's lock) ...
      const applied = real(input).then(
        (outcome) => ((firstApply = 'applied'), outcome),
        (error: unknown) => {
          firstApply = String(error);
          throw error;
        },
      );
      await waitingBehindGate(2);
      // ... and the lock is let go: the opening gets it first and looks for the active review's row.
      await gate.query('COMMIT');
      duplicate = await opened;
      return applied;
    });
    try {
      const review = await patchApplied(racing.ctx, abp, rev);
      // Before, PostgreSQL found a deadlock and aborted one of them (the opening or the apply's first
      // attempt). PGlite orders nothing here (one session: its advisory locks exclude no one), so the
      // opening may also come before, between or after the apply's statements: it is refused as a
      // conflict, or opens the next review once the apply has concluded this one.
      expect({ firstApply, duplicate }).toEqual({
        firstApply: 'applied',
        duplicate: process.env.DATABASE_URL
          ? expect.stringContaining(`review ${review.reviewId} is already open`)
          : expect.toSatisfy((d: string) => d === 'opened' || d.startsWith('WardenError: ')),
      });
    } finally {
      gate.release();
      await racing.stop();
    }
  });
});
