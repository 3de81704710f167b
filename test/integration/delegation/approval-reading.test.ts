import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec } from '../../../client/delegation';
import { openReview } from '../../../client/delegation-reviews';
import { findPrincipal } from '../../../db/access/principals';
import { findCurrentByAbpId } from '../../../db/delegation/abps';
import { readApproval, type ApprovalReading } from '../../../db/delegation/approval-reading';
import { listExports } from '../../../db/delegation/exports';
import { planOutputOn } from '../../../db/delegation/output-dry-run';
import { findOutput, storeOutput } from '../../../db/delegation/review-outputs';
import { findReview } from '../../../db/delegation/reviews';
import { parseReviewOutput, reviewOutputHash } from '../../../domain/delegation/review-output';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { allowTool } from './abp-fixtures';
import { principal, uniqueSpec } from './fixtures';

const ctx = useIntegrationContext('approval-reading');

/** A review of a fresh ABP with a stored patch output allowing `tool`. */
async function reviewWithOutput(tool: string) {
  const reviewer = await principal(ctx, 'reading', ['Reviewer']);
  const spec = uniqueSpec();
  const { abp } = await buildAbpFromSpec(ctx, spec, await testAdmin(ctx));
  const review = await openReview(ctx, abp.abp_id, 'DRT-002', reviewer);
  const output = parseReviewOutput('abp_patch', allowTool(abp, tool));
  const outputHash = reviewOutputHash(output);
  await storeOutput(ctx.pool, review.reviewId, outputHash, output.kind, output.document, reviewer);
  return { reviewer, spec, abp, review, outputHash };
}

const planOf = (read: ApprovalReading) =>
  planOutputOn(ctx.pool, { abpId: read.review!.abpId, current: read.current, exports: read.exports }, read.output!);

describe("an approval's reading (one statement for the review, principal, output, current ABP and exports)", () => {
  it('returns what the five separate reads return', async () => {
    const { reviewer, abp, review, outputHash } = await reviewWithOutput('fax.send');
    const read = await readApproval(ctx.pool, { reviewId: review.reviewId, principal: reviewer, outputHash });

    expect(read.review).toEqual(await findReview(ctx.pool, review.reviewId));
    expect(read.principal).toEqual(await findPrincipal(ctx.pool, reviewer));
    expect(read.output).toEqual(await findOutput(ctx.pool, review.reviewId, outputHash));
    expect(read.current).toEqual(await findCurrentByAbpId(ctx.pool, abp.abp_id));
    expect(read.exports).toEqual(await listExports(ctx.pool, abp.abp_id));
    expect(read.exports.length).toBeGreaterThan(0);
  });

  it('leaves out what is not there: an unknown review, principal (or a name no principal can have) and output', async () => {
    const { review, outputHash } = await reviewWithOutput('fax.send');
    expect(await readApproval(ctx.pool, { reviewId: `${review.reviewId}-none`, outputHash })).toEqual({
      review: undefined,
      principal: undefined,
      output: undefined,
      current: undefined,
      exports: [],
    });
    const read = await readApproval(ctx.pool, {
      reviewId: review.reviewId,
      principal: 'nobody-here',
      outputHash: 'sha256:none',
    });
    expect(read.review?.reviewId).toBe(review.reviewId);
    expect(read.principal).toBeUndefined();
    expect(read.output).toBeUndefined();
    const odd = await readApproval(ctx.pool, { reviewId: review.reviewId, principal: "Robert'); DROP TABLE x;--" });
    expect(odd.principal).toBeUndefined();
    expect(odd.review?.reviewId).toBe(review.reviewId);
  });
});

describe('a plan of the same reading is reused, a moved ABP is planned again', () => {
  it('the same reading gives the same plan with its export documents stamped afresh', async () => {
    const { review, outputHash } = await reviewWithOutput('fax.send');
    const read = await readApproval(ctx.pool, { reviewId: review.reviewId, outputHash });
    const first = await planOf(read);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await planOf(await readApproval(ctx.pool, { reviewId: review.reviewId, outputHash }));

    expect(first.problems).toEqual([]);
    expect(again.problems).toEqual([]);
    expect(again.next?.hash).toBe(first.next?.hash);
    expect(again.exports.map((e) => e.gates)).toEqual(first.exports.map((e) => e.gates));
    expect(again.exports.map((e) => e.row)).toEqual(read.exports);
    for (const [i, e] of again.exports.entries()) {
      expect(e.document).not.toBe(first.exports[i]!.document);
      expect(e.document.stamped_at >= first.exports[i]!.document.stamped_at).toBe(true);
      expect((e.document.abp as { hash: string }).hash).toBe(first.next!.hash);
    }
  });

  it('after the ABP moved under the review, the output is planned on the new version and refused', async () => {
    const { review, outputHash, spec, abp } = await reviewWithOutput('fax.send');
    const before = await planOf(await readApproval(ctx.pool, { reviewId: review.reviewId, outputHash }));
    expect(before.problems).toEqual([]);
    expect(before.base?.hash).toBe(abp.hash);

    // Rebuilt with fax.send denied: the same patch now contradicts the ABP.
    const { abp: moved } = await buildAbpFromSpec(
      ctx,
      { ...spec, tools: { ...spec.tools!, deny: [...spec.tools!.deny, { name: 'fax.send', reason: 'no faxes' }] } },
      await testAdmin(ctx),
    );
    expect(moved.hash).not.toBe(abp.hash);
    const read = await readApproval(ctx.pool, { reviewId: review.reviewId, outputHash });
    expect(read.current?.version).toBeGreaterThan(before.current!.version);
    const after = await planOf(read);
    expect(after.base?.hash).toBe(moved.hash);
    expect(after.problems.join('; ')).toMatch(/tools both allowed and denied: fax\.send/);
  });
});
