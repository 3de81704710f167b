import { describe, expect, it } from 'vitest';
import { DelegationLoop } from '../../../client/delegation-loop';
import { useIntegrationContext } from '../../support/integration';
import { principal, sendExternalEmail, uniqueSpec } from './fixtures';
import { testAdmin } from '../../support/principals';

const ctx = useIntegrationContext('delegation-client');

describe('the TypeScript client', () => {
  it('runs a review through DelegationLoop: build, check, open, revoke', async () => {
    const loop = new DelegationLoop(ctx);
    const rev = await principal(ctx, 'client-rev', ['Reviewer']);
    const { abp } = await loop.buildAbp(uniqueSpec(), { as: await testAdmin(ctx) });
    expect((await loop.verifyAbp(abp.abp_id)).ok).toBe(true);
    expect((await loop.checkAction(abp.abp_id, { ...sendExternalEmail(abp.hash, 1), tool: 'ats.read' })).decision).toBe(
      'allowed',
    );
    expect((await loop.triggers(abp.abp_id)).map((c) => c.state)).toEqual(['clear', 'clear', 'clear', 'clear']);
    const review = await loop.openReview(abp.abp_id, 'DRT-004', { as: rev });
    expect((await loop.reviews({ abpId: abp.abp_id, state: 'open' })).map((r) => r.reviewId)).toEqual([
      review.reviewId,
    ]);
    await loop.approve(review.reviewId, { as: rev, output: 'abp_revoke', reason: 'contract ended' });
    expect((await loop.result(review.reviewId)).state).toBe('applied');
    expect((await loop.showAbp(abp.abp_id)).status).toBe('revoked');
    expect((await loop.checkAction(abp.abp_id, { ...sendExternalEmail(abp.hash, 2), tool: 'ats.read' })).decision).toBe(
      'blocked',
    );
    await loop.close();
  });
});
