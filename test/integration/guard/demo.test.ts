import { describe, expect, it } from 'vitest';
import { approve, proposeCalibrationUpdate, proposalBundle, release } from '../../../client/guard';
import { seedGuardDemo } from '../../../demo/guard';
import { findPrincipal } from '../../../db/access/principals';
import { useIntegrationContext } from '../../support/integration';
import { seedCalibrationRequest } from './guard-fixtures';

const ctx = useIntegrationContext('guard-demo');

describe('guard demo seed', () => {
  it('seeds once, and the seed example then runs verbatim as carol and dave', async () => {
    // A worker process started by another test file on this shared database may have seeded it
    // already; either way the seed exists afterwards and a second call creates nothing.
    const first = await seedGuardDemo(ctx);
    expect(first.length).toBeLessThanOrEqual(1);
    const { rowCount } = await ctx.pool.query(`SELECT 1 FROM warden_meta WHERE key = 'seed.guard'`);
    expect(rowCount).toBe(1);
    expect(await seedGuardDemo(ctx)).toEqual([]);
    expect((await findPrincipal(ctx.pool, 'dave'))?.roles).toContain('safety-lead');

    // The demo tenant only: other test files share this database.
    const proposal = await proposeCalibrationUpdate(
      ctx,
      seedCalibrationRequest('carol', 'feedback://recent-reviewed?tenant=demo-tenant', 'threshold-profile-20260513-a'),
    );
    expect(proposal.manifest.event_count).toBe(40);
    expect(proposal.decision?.decision).toBe('allow');
    await approve(ctx, proposal.proposal_id, { approval_id: 'review-20260513-002', approver: 'dave' });
    const payload = await release(ctx, proposal.proposal_id, 'dave');
    expect(payload.candidate_threshold).toBe(0.58);
    expect((await proposalBundle(ctx, proposal.proposal_id)).approval.approval_id).toBe('review-20260513-002');
  });
});
