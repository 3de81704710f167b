import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { dismissReview, openReview, reviewResult } from '../../../client/delegation-reviews';
import { ReviewOpenReads } from '../../../client/review-open-reads';
import { readTriggerCards } from '../../../db/delegation/trigger-cards';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp, principal } from './fixtures';

const ctx = useIntegrationContext('review-open-reads');

/** The pool, recording the text of every statement sent through pool.query. */
function recordingPool(pool: pg.Pool): { pool: pg.Pool; statements: string[] } {
  const statements: string[] = [];
  const recorded = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'query') {
        return (...args: unknown[]) => {
          const first = args[0];
          statements.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { pool: recorded, statements };
}

describe('review openings read together', () => {
  it('read their principal once and all their current ABPs in one statement', async () => {
    const opener = await principal(ctx, 'opener', ['Reviewer']);
    const abps = await Promise.all([1, 2, 3].map(() => buildUniqueAbp(ctx)));
    const recording = recordingPool(ctx.pool);
    const reads = new ReviewOpenReads({ pool: recording.pool });

    const openings = await Promise.all(
      abps.map((abp) => reads.prepare({ abpId: abp.abp_id, triggerId: 'DRT-002', principal: opener })),
    );

    expect(openings.map((o) => [o.review.abpId, o.review.abpHash, o.review.openedBy])).toEqual(
      abps.map((abp) => [abp.abp_id, abp.hash, opener]),
    );
    for (const [n, o] of openings.entries()) {
      expect(o.review).toMatchObject({ triggerId: 'DRT-002', state: 'open', severity: 'critical' });
      expect(o.review.whileCurrent).toEqual({ abpId: abps[n]!.abp_id, abpHash: abps[n]!.hash });
      expect(o.review.reading).toMatchObject({ triggerId: 'DRT-002', abpId: abps[n]!.abp_id });
    }
    expect(recording.statements.filter((s) => /FROM principals/.test(s))).toHaveLength(1);
    expect(recording.statements.filter((s) => /FROM abp_current|JOIN abp_current/.test(s))).toHaveLength(1);
    // Their trigger cards too: one statement, where each opening took two (its review marks, its count).
    expect(recording.statements.filter((s) => /delegation_reviews/.test(s))).toHaveLength(1);
    expect(recording.statements.filter((s) => /abp_action_checks/.test(s))).toHaveLength(1);
    expect(recording.statements).toHaveLength(3);
  });

  it('take the reading each trigger card gives alone, evidence since the last concluded review included', async () => {
    const opener = await principal(ctx, 'opener', ['Reviewer']);
    const [fresh, dismissed] = await Promise.all([buildUniqueAbp(ctx), buildUniqueAbp(ctx)]);
    for (const abp of [fresh, dismissed])
      await ctx.pool.query(
        `INSERT INTO abp_action_checks (check_id, abp_id, action, irreversible, decision, results, escalations, checked_at)
         SELECT $1 || n, $2, '{}', true, 'blocked', '[]', '[]', now() - interval '1 hour' FROM generate_series(1, 2) n`,
        [`chk-${abp.abp_id}-`, abp.abp_id],
      );
    const first = await openReview(ctx, dismissed.abp_id, 'DRT-002', opener);
    await dismissReview(ctx, first.reviewId, { principal: opener, reason: 'seen' });
    expect((await reviewResult(ctx, first.reviewId)).state).toBe('dismissed');
    const reads = new ReviewOpenReads({ pool: ctx.pool });

    const openings = await Promise.all(
      [fresh, dismissed].map((abp) => reads.prepare({ abpId: abp.abp_id, triggerId: 'DRT-002', principal: opener })),
    );

    const alone = await Promise.all(
      [fresh, dismissed].map(async (abp) => (await readTriggerCards(ctx.pool, abp, new Date(), 'DRT-002'))[0]!),
    );
    expect(openings.map((o) => o.review.reading)).toEqual(alone.map((card) => ({ ...card, activeReview: undefined })));
    // The dismissal handled the two blocked checks: the fresh ABP counts them, the other counts none since.
    expect(alone.map((card) => [card.current, card.countingSince !== null])).toEqual([
      [2, false],
      [0, true],
    ]);
  });

  it('refuse each opening as it would be refused alone, and prepare the others', async () => {
    const opener = await principal(ctx, 'opener', ['Reviewer']);
    const bystander = await principal(ctx, 'bystander', ['Viewer']);
    const [a, b] = await Promise.all([buildUniqueAbp(ctx), buildUniqueAbp(ctx)]);
    const reads = new ReviewOpenReads({ pool: ctx.pool });

    const settled = await Promise.allSettled([
      reads.prepare({ abpId: a.abp_id, triggerId: 'DRT-002', principal: 'nobody-at-all' }),
      reads.prepare({ abpId: 'ABP-none', triggerId: 'DRT-002', principal: opener }),
      reads.prepare({ abpId: a.abp_id, triggerId: 'DRT-999', principal: opener }),
      reads.prepare({ abpId: a.abp_id, triggerId: 'DRT-002', principal: bystander }),
      reads.prepare({ abpId: b.abp_id, triggerId: 'DRT-002', principal: opener }),
    ]);

    const refusal = (n: number) => {
      const s = settled[n]!;
      if (s.status === 'fulfilled') return 'prepared';
      const reason = s.reason as { kind?: string; message: string };
      return `${reason.kind}: ${reason.message}`;
    };
    expect(refusal(0)).toMatch(/^forbidden: .*nobody-at-all/);
    expect(refusal(1)).toMatch(/^not_found: .*active ABP ABP-none/);
    expect(refusal(2)).toBe(`invalid: ${a.abp_id} has no delegation review trigger DRT-999`);
    expect(refusal(3)).toMatch(/^forbidden: .*open a review of/);
    expect(refusal(4)).toBe('prepared');
  });
});
