import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAbpFromSpec, showAbp } from '../../../client/delegation';
import { DelegationLoop } from '../../../client/delegation-loop';
import { openReview, reviewResult, showReview } from '../../../client/delegation-reviews';
import type { AbpSpecInput } from '../../../domain/delegation/schema';
import { cliEnv, runCli, expectRefused } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';
import { allowEmail, principal, unique, uniqueSpec } from './abp-fixtures';

const ctx = useIntegrationContext('delegation-default-output');
const call = useApiServer(ctx);

/** A spec whose review policy names `output` as its default output kind. */
function specWithDefault(output: 'abp_patch' | 'abp_revoke'): AbpSpecInput {
  const spec = uniqueSpec();
  const review = spec.delegation_review!;
  return { ...spec, delegation_review: { ...review, review_policy: { ...review.review_policy, output } } };
}

describe("review_policy.output is the default output kind (the seed's 'Default output type')", () => {
  it('the client approves with the policy default when no kind is named: abp_revoke revokes', async () => {
    const rev = await principal(ctx, 'default-rev', ['Reviewer']);
    const { abp } = await buildAbpFromSpec(ctx, specWithDefault('abp_revoke'), await testAdmin(ctx));
    const review = await openReview(ctx, abp.abp_id, 'DRT-004', rev);
    await new DelegationLoop(ctx).approve(review.reviewId, { as: rev, reason: 'program closed' });
    expect((await reviewResult(ctx, review.reviewId)).state).toBe('applied');
    expect((await showReview(ctx, review.reviewId)).votes).toMatchObject([
      { principal: rev, outputKind: 'abp_revoke' },
    ]);
    expect((await showAbp(ctx, abp.abp_id)).status).toBe('revoked');
  });

  it('HTTP without output_kind applies a patch under the default abp_patch; the CLI without --kind refuses a full spec', async () => {
    const rev = await principal(ctx, 'default-http', ['Reviewer']);
    const { abp } = await buildAbpFromSpec(ctx, specWithDefault('abp_patch'), await testAdmin(ctx));
    const review = await openReview(ctx, abp.abp_id, 'DRT-002', rev);

    const file = join(ctx.config.dataDir, `${unique('spec')}.json`);
    await writeFile(file, JSON.stringify({ ...uniqueSpec(), created_at: '2026-05-01T00:00:00Z' }));
    const cli = await runCli(
      ['review', 'approve', review.reviewId, '--as', rev, '--output', file, '--reason', 'replace', '--json'],
      cliEnv(ctx),
    );
    expectRefused(cli, 2, /default output is abp_patch, but the document is a full ABP spec.*abp_replace/);

    const approved = await call('POST', `/api/v1/reviews/${review.reviewId}/approve`, {
      as: rev,
      document: allowEmail(abp),
      reason: 'candidates must hear back',
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const final = await reviewResult(ctx, review.reviewId);
    expect(final.state).toBe('applied');
    expect(final.outcome!.next!.abpId).toBe(abp.abp_id);
    expect((await showReview(ctx, review.reviewId)).votes).toMatchObject([{ outputKind: 'abp_patch' }]);
  });
});
