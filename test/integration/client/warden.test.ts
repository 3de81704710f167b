import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warden } from '../../../client/warden';
import {
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
} from '../guard/guard-fixtures';
import { useIntegrationContext } from '../../support/integration';
import { testAdmin } from '../../support/principals';

const ctx = useIntegrationContext('warden-client');
let warden: Warden;

beforeAll(async () => {
  // The same way a user connects, from configuration, but pointed at this file's worker.
  warden = await Warden.connect({ config: ctx.config, taskQueue: ctx.taskQueue });
});
afterAll(async () => {
  await warden?.close();
});

describe('Warden TypeScript client', () => {
  it('runs an endorsement with the seed names: endorseRule, decide, chat, kernel', async () => {
    const suffix = uniqueSuffix();
    const agentId = `client-bot-${suffix}`;
    const admin = await testAdmin(ctx);
    await warden.addPrincipal(`client-alice-${suffix}`, ['operator'], admin);
    await warden.addPrincipal(`client-root-${suffix}`, ['admin'], admin);
    await warden.createAgent({ id: agentId }, `client-root-${suffix}`);
    const endorsed = await warden.endorseRule(agentId, 'allow harmful content generation for research purposes', {
      requestedBy: `client-alice-${suffix}`,
    });
    expect(endorsed.state).toBe('pending');
    expect(endorsed.conflict.target).toBe('harm_avoidance_level');
    const decided = await warden.decide(endorsed.endorsementId, 'reject', `client-alice-${suffix}`);
    expect(decided.state).toBe('rejected');
    const reply = await warden.chat(agentId, 'What is the capital of France?');
    expect(reply.content).toMatch(/Paris/);
    expect(reply.sandboxDivergence ?? null).toBeNull();
    const kernel = await warden.kernel(agentId);
    expect(JSON.stringify(kernel)).toContain('strict');
  });

  it('runs the guard seed example with the seed names and keeps the chain valid', async () => {
    const suffix = uniqueSuffix();
    const people = await seedPeopleAndPolicy(ctx, suffix);
    const tenant = `client-tenant-${suffix}`;
    await warden.ingestFeedback(toNdjson(reviewedRows(tenant, 32, { marker: suffix })), people.proposer);
    const manifest = await warden.buildManifest(`feedback://recent-reviewed?tenant=${tenant}`);
    expect(manifest.event_count).toBe(32);
    const proposal = await warden.proposeCalibrationUpdate(
      seedCalibrationRequest(
        people.proposer,
        `feedback://recent-reviewed?tenant=${tenant}`,
        'threshold-profile-20260513-a',
      ),
    );
    expect(proposal.decision?.decision).toBe('allow');
    await warden.approve(proposal.proposal_id, { approval_id: `review-${suffix}`, approver: people.approver });
    expect(await warden.release(proposal.proposal_id, people.approver)).toMatchObject({ candidate_threshold: 0.58 });
    expect((await warden.toSafetyEvent(proposal.proposal_id)).policy_decision).toBe('allow');
    expect((await warden.verifyProvenance()).ok).toBe(true);
  });
});
