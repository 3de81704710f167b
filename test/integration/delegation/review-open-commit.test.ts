import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ReviewOpenCommit, type ReviewOpening, type StoredOpening } from '../../../client/review-open-commit';
import { findReview } from '../../../db/delegation/reviews';
import { listProvenance } from '../../../db/provenance/log';
import type { Abp } from '../../../domain/delegation/schema';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp, principal } from './fixtures';

const ctx = useIntegrationContext('review-open-commit');

/** The pool, counting the transactions begun on it (withTransaction takes a client per transaction). */
function countingPool(pool: pg.Pool): { pool: pg.Pool; transactions: () => number } {
  let connects = 0;
  const counted = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === 'connect') {
        return (...args: unknown[]) => {
          connects += 1;
          return (target.connect as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { pool: counted, transactions: () => connects };
}

const opening = (abp: Abp, openedBy: string): ReviewOpening => {
  const trigger = abp.delegation_review!.triggers.find((t) => t.id === 'DRT-002')!;
  return {
    review: {
      abpId: abp.abp_id,
      abpHash: abp.hash,
      triggerId: trigger.id,
      severity: trigger.severity,
      state: 'open',
      policy: abp.delegation_review!.review_policy,
      reading: { note: 'review-open-commit test' },
      openedBy,
      whileCurrent: { abpId: abp.abp_id, abpHash: abp.hash },
    },
  };
};

describe('reviews opened together', () => {
  it('are stored in one transaction: one row and one review.opened entry each, with no workflow', async () => {
    const opener = await principal(ctx, 'opener', ['Reviewer']);
    const abps = await Promise.all([1, 2, 3].map(() => buildUniqueAbp(ctx)));
    const counting = countingPool(ctx.pool);
    const commit = new ReviewOpenCommit({ pool: counting.pool, provenanceKey: ctx.provenanceKey });

    const stored = await Promise.all(abps.map((abp) => commit.open(opening(abp, opener))));

    expect(counting.transactions()).toBe(1);
    expect(stored.map((s) => s.row.abpId)).toEqual(abps.map((a) => a.abp_id));
    for (const { row } of stored) {
      expect(row).toMatchObject({ triggerId: 'DRT-002', policy: abps[0]!.delegation_review!.review_policy });
      expect(await findReview(ctx.pool, row.reviewId)).toMatchObject({
        state: 'open',
        openedBy: opener,
        workflowStarted: false,
      });
      const entries = await listProvenance(ctx.pool, { subject: `review:${row.reviewId}` });
      expect(entries.map((e) => [e.kind, e.actor])).toEqual([['review.opened', opener]]);
    }
    // The storing statement read whether anyone wants review.opened (one answer for the batch).
    expect(new Set(stored.map((s) => typeof s.openedSubscribed))).toEqual(new Set(['boolean']));
  });

  it('answer each as if it were alone when one of them cannot be stored with the others', async () => {
    const opener = await principal(ctx, 'opener', ['Reviewer']);
    const [a, b] = await Promise.all([buildUniqueAbp(ctx), buildUniqueAbp(ctx)]);
    const counting = countingPool(ctx.pool);
    const commit = new ReviewOpenCommit({ pool: counting.pool, provenanceKey: ctx.provenanceKey });

    // The same ABP and trigger twice: never two active reviews, so one of them is refused.
    const settled = await Promise.allSettled([
      commit.open(opening(a, opener)),
      commit.open(opening(a, opener)),
      commit.open(opening(b, opener)),
    ]);

    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ kind: 'conflict' });
    expect((settled[1] as PromiseRejectedResult).reason.message).toMatch(/already open/);
    // The batch rolled back, then each in a transaction of its own.
    expect(counting.transactions()).toBe(4);
    const [first, , other] = settled as PromiseFulfilledResult<StoredOpening>[];
    expect([first!.value.row.abpId, other!.value.row.abpId]).toEqual([a.abp_id, b.abp_id]);
    const entries = await listProvenance(ctx.pool, { subject: `review:${first!.value.row.reviewId}` });
    expect(entries.map((e) => e.kind)).toEqual(['review.opened']);
  });
});
