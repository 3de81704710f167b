import { describe, expect, it } from 'vitest';
import { evaluateDelegationTriggers } from '../../activities/delegation/evaluation';
import { buildAbpFromSpec, runDelegationEvaluation } from '../../client/delegation';
import { storeIntakeBatch } from '../../db/delegation/intake';
import { findReview } from '../../db/delegation/reviews';
import { demoAbpSpec } from '../../demo/delegation-abp';
import { parseIntakeBatch } from '../../domain/delegation/intake';
import { DUE_HORIZON_MS } from '../../domain/delegation/review-due';
import type { ReviewStatus } from '../../workflows/delegation/contract';
import { testAdmin } from '../support/principals';
import { useTimeSkippingStack } from '../support/time-skipping-stack';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
// A stack of its own (see review-opened-at.test.ts and docs/dormant-reviews.md, risks).
const stack = useTimeSkippingStack('dormant-review-deadline');

describe('a review the monitor stored without its workflow (time-skipping server)', () => {
  it('is started by the pass whose workflow clock has its deadline within the horizon, and times out at its deadline', async () => {
    const { env, ctx } = stack;
    const spec = demoAbpSpec();
    const { abp } = await buildAbpFromSpec(
      ctx,
      { ...spec, scope: { ...spec.scope, contract_id: 'CTR-DORMANT-DEADLINE' } },
      await testAdmin(ctx),
    );
    // DRT-001 trips at 3 repeats of one fingerprint: stored with no evaluation after them (passes
    // awaited through this server skip its clock far ahead while nothing else waits), then one
    // evaluation at the server's clock stores the review without its workflow.
    const signal = (n: number) =>
      JSON.stringify({
        kind: 'drift_signal',
        abp_id: abp.abp_id,
        type: 'fallback',
        severity: 'yellow',
        fingerprint: { key: 'fp-dormant', version: 1 },
        observed_at: new Date(Date.now() - HOUR_MS).toISOString(),
        signal_id: `sig-dormant-${n}`,
      });
    await storeIntakeBatch(ctx, parseIntakeBatch([1, 2, 3].map(signal).join('\n')), null);
    const opening = await evaluateDelegationTriggers(
      { pool: ctx.pool, provenanceKey: ctx.provenanceKey },
      [abp.abp_id],
      { clock: { asOf: new Date(await env.currentTimeMs()).toISOString(), horizonMs: DUE_HORIZON_MS } },
    );
    expect(opening.opened).toEqual([`${abp.abp_id}.DRT-001.r1`]);
    expect(opening.toStart).toEqual([]);
    const reviewId = opening.opened[0]!;
    const row = (await findReview(ctx.pool, reviewId))!;
    expect(row.workflowStarted).toBe(false);
    const deadline = Date.parse(row.deadlineAt!);
    expect(deadline).toBe(Date.parse(row.openedAt!) + 7 * DAY_MS);

    // The workflow clock moves on, the database's does not: the pass compares with its own clock.
    await env.sleep(deadline - (await env.currentTimeMs()) - DUE_HORIZON_MS / 2);
    expect((await runDelegationEvaluation(ctx, [abp.abp_id])).started).toEqual([reviewId]);

    const handle = ctx.temporal.workflow.getHandle(reviewId);
    const final = (await handle.result()) as ReviewStatus;
    expect(final).toMatchObject({ state: 'timed_out', deadline: new Date(deadline).toISOString() });
    // Closed at the deadline counted from the opening, not a timeout after the pass's start.
    const { closeTime } = await handle.describe();
    expect(closeTime!.getTime()).toBeGreaterThanOrEqual(deadline);
    expect(closeTime!.getTime()).toBeLessThan(deadline + DUE_HORIZON_MS);
    expect(await findReview(ctx.pool, reviewId)).toMatchObject({ state: 'timed_out', workflowStarted: true });
  });
});
