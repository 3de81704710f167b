import { beforeAll, describe, expect, it } from 'vitest';
import { approve, ingestFeedback, proposeCalibrationUpdate, release, showProposal } from '../../client/guard';
import { listProvenance } from '../../db/provenance/log';
import {
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  type GuardPeople,
} from '../integration/guard/guard-fixtures';
import { useTimeSkippingStack } from '../support/time-skipping-stack';

const DAY_MS = 24 * 60 * 60 * 1000;
// The whole bundle: transitions start notification children, which must be known to the worker.
const stack = useTimeSkippingStack('guard');
const tenant = 'timeskip-tenant';
let people: GuardPeople;

beforeAll(async () => {
  people = await seedPeopleAndPolicy(stack.ctx, 'ts');
  await ingestFeedback(stack.ctx, toNdjson(reviewedRows(tenant, 32, { marker: 'timeskip' })));
});

const seed = (rollback: string) =>
  seedCalibrationRequest(people.proposer, `feedback://recent-reviewed?tenant=${tenant}`, rollback);

async function elapsedMs(proposalId: string): Promise<number> {
  const description = await stack.env.client.workflow.getHandle(proposalId).describe();
  return description.closeTime!.getTime() - description.startTime.getTime();
}

describe('guard-loop approval window (time-skipping server)', () => {
  it('expires an unapproved proposal after the default 7 days, records it, and refuses approval afterwards', async () => {
    const { ctx, env } = stack;
    const proposal = await proposeCalibrationUpdate(ctx, seed('rb-expiry'));
    expect(proposal.state).toBe('awaiting_approval');
    expect(await env.client.workflow.getHandle(proposal.proposal_id).result()).toMatchObject({ state: 'expired' });
    const elapsed = await elapsedMs(proposal.proposal_id);
    expect(elapsed).toBeGreaterThanOrEqual(7 * DAY_MS);
    expect(elapsed).toBeLessThan(8 * DAY_MS);

    const shown = await showProposal(ctx, proposal.proposal_id);
    expect(shown.state).toBe('expired');
    expect(shown.approval).toBeNull();
    const kinds = (await listProvenance(ctx.pool, { subject: `proposal:${proposal.proposal_id}` })).map((e) => e.kind);
    expect(kinds).toContain('guard.proposal.expired');
    await expect(
      approve(ctx, proposal.proposal_id, { approval_id: 'late-approval', approver: people.approver }),
    ).rejects.toThrow(/expired/);
    await expect(release(ctx, proposal.proposal_id, people.approver)).rejects.toThrow(/not approved/);
  });

  it('honours a configured approval window', async () => {
    const proposal = await proposeCalibrationUpdate(stack.ctx, {
      ...seed('rb-short-window'),
      approval_timeout: '36 hours',
    });
    expect(await stack.env.client.workflow.getHandle(proposal.proposal_id).result()).toMatchObject({
      state: 'expired',
    });
    const elapsed = await elapsedMs(proposal.proposal_id);
    expect(elapsed).toBeGreaterThanOrEqual(36 * 60 * 60 * 1000);
    expect(elapsed).toBeLessThan(7 * DAY_MS);
  });

  it('does not expire a proposal approved inside the window', async () => {
    const proposal = await proposeCalibrationUpdate(stack.ctx, seed('rb-in-time'));
    await approve(stack.ctx, proposal.proposal_id, { approval_id: 'in-time-approval', approver: people.approver });
    const payload = await release(stack.ctx, proposal.proposal_id, people.approver);
    const result = await stack.env.client.workflow.getHandle(proposal.proposal_id).result();
    expect(result).toMatchObject({ state: 'released', payload });
    expect(payload).toMatchObject({ candidate_threshold: 0.58 });
  });
});
