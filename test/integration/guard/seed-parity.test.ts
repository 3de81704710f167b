import { describe, expect, it } from 'vitest';
import { ingestFeedback, toSafetyEvent } from '../../../client/guard';
import { GuardLoop } from '../../../client/guard-loop';
import { cliEnv, runCli } from '../../support/cli';
import { useApiServer } from '../../support/http';
import { useIntegrationContext } from '../../support/integration';
import { reviewedRows, SEED_POLICY, seedPeopleAndPolicy, toNdjson, uniqueSuffix } from './guard-fixtures';

const ctx = useIntegrationContext('guard-seed-parity');
const call = useApiServer(ctx);

/** The seed's calibration example under a tenant of this test's own (the database is shared). */
async function seedScene() {
  const suffix = uniqueSuffix();
  const people = await seedPeopleAndPolicy(ctx, suffix);
  const tenant = `parity-${suffix}`;
  await ingestFeedback(ctx, toNdjson(reviewedRows(tenant, 34, { marker: `parity-${suffix}` })));
  const loop = new GuardLoop(ctx, { policyId: SEED_POLICY.policy_id, proposer: people.proposer });
  return { people, loop, source: `feedback://recent-reviewed?tenant=${tenant}`, suffix };
}

describe("the seed's GuardLoopProposal fields and methods", () => {
  it("a proposal view carries to_dict()'s payload, submitted, promotion_status, approved, approval_id and guard_decision", async () => {
    const { people, loop, source, suffix } = await seedScene();
    const proposal = await loop.proposeCalibrationUpdate({
      sourceRef: source,
      currentThreshold: 0.55,
      candidateThreshold: 0.58,
      confidenceLow: 0.51,
      confidenceHigh: 0.61,
      rollbackId: `threshold-profile-${suffix}`,
    });
    expect(proposal).toMatchObject({
      submitted: false,
      promotion_status: 'proposed',
      approved: false,
      approval_id: '',
      payload: { current_threshold: 0.55, candidate_threshold: 0.58 },
      guard_decision: {
        decision: 'allow',
        reason: 'self_improvement_calibration_ready',
        policy_id: SEED_POLICY.policy_id,
      },
    });
    // An approval id is used once per database, which test files share: one of this test's own.
    const approvalId = `review-20260513-002-${suffix}`;
    const approved = await loop.approve(proposal, { approvalId, approver: people.approver });
    expect(approved).toMatchObject({
      approved: true,
      approval_id: approvalId,
      submitted: false,
      promotion_status: 'proposed',
    });
    const released = await loop.release(approved, { releaser: people.approver });
    expect(released).toEqual(approved.payload);
    // HTTP shows the same view.
    const shown = await call('GET', `/api/v1/guard/proposals/${proposal.proposal_id}`);
    expect(shown.body).toMatchObject({ approved: true, approval_id: approvalId, payload: released });
  });

  it("toSafetyEvent takes to_safety_event's hook_id, hook_scope, request_id, tenant_id and latency_ms with its defaults", async () => {
    const { loop, source, suffix } = await seedScene();
    const proposal = await loop.proposeCalibrationUpdate({
      sourceRef: source,
      currentThreshold: 0.55,
      candidateThreshold: 0.57,
      confidenceLow: 0.51,
      confidenceHigh: 0.61,
      rollbackId: `threshold-profile-${suffix}`,
    });
    const stored = await loop.toSafetyEvent(proposal);
    expect(stored).toMatchObject({ hook_id: 'warden.guard_loop', request_id: proposal.proposal_id });

    const defaults = await loop.toSafetyEvent(proposal, { hookId: 'edge.guard' });
    expect(defaults).toMatchObject({
      hook_id: 'edge.guard',
      hook_scope: 'agent',
      request_id: '',
      tenant_id: '',
      latency_ms: null,
      policy_decision: 'allow',
      halt_reason: 'self_improvement_calibration_ready',
      timestamp: stored.timestamp,
    });
    expect(defaults.event_id).not.toBe(stored.event_id);
    const given = await toSafetyEvent(ctx, proposal.proposal_id, {
      hookId: 'edge.guard',
      hookScope: 'streaming',
      requestId: 'req-1',
      tenantId: 't-1',
      latencyMs: 12.5,
    });
    expect(given).toMatchObject({ hook_scope: 'streaming', request_id: 'req-1', tenant_id: 't-1', latency_ms: 12.5 });
    // The same arguments name the same event.
    expect((await loop.toSafetyEvent(proposal, { hookId: 'edge.guard' })).event_id).toBe(defaults.event_id);
    await expect(loop.toSafetyEvent(proposal, { hookId: '' })).rejects.toThrow(/hookId is required/);

    const http = await call(
      'GET',
      `/api/v1/guard/proposals/${proposal.proposal_id}/safety-event?hook_id=edge.guard&latency_ms=3`,
    );
    expect(http.body).toMatchObject({
      hook_id: 'edge.guard',
      hook_scope: 'agent',
      latency_ms: 3,
      event_id: expect.stringMatching(/^sevt_/),
    });
    const badScope = await call(
      'GET',
      `/api/v1/guard/proposals/${proposal.proposal_id}/safety-event?hook_id=x&hook_scope=planet`,
    );
    expect(badScope.status).toBe(400);
    expect(JSON.stringify(badScope.body)).toMatch(/hookScope must be one of/);
    const cli = await runCli(
      ['proposal', 'safety-event', proposal.proposal_id, '--hook-id', 'edge.guard', '--tenant-id', 't-2', '--json'],
      cliEnv(ctx),
    );
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json).toMatchObject({ hook_id: 'edge.guard', tenant_id: 't-2', request_id: '' });
  });

  it('`warden proposal manifest --source` is build_manifest: counts and reviewers, never text', async () => {
    const { source } = await seedScene();
    const r = await runCli(['proposal', 'manifest', '--source', source, '--json'], cliEnv(ctx));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      source_ref: source,
      event_count: 34,
      reviewer_ids: ['rev-alice', 'rev-bob', 'rev-chen'],
    });
    expect(r.stdout).not.toMatch(/PROMPT-|RESPONSE-/);
    const text = await runCli(['proposal', 'manifest', '--source', source], cliEnv(ctx));
    expect(text.stdout).toMatch(/events\s+34/);
  });

  it("refuses a calibration whose candidate is at or beyond the risk envelope's no_go_threshold", async () => {
    const { loop, source, suffix } = await seedScene();
    const beyond = (candidateThreshold: number) =>
      loop.proposeCalibrationUpdate({
        sourceRef: source,
        currentThreshold: 0.55,
        candidateThreshold,
        confidenceLow: 0.5,
        confidenceHigh: 0.55,
        rollbackId: `no-go-${suffix}`,
      });
    await expect(beyond(0.8)).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/candidate_threshold: 0.8 is at or beyond the no_go_threshold 0.8/),
    });
    await expect(beyond(0.9)).rejects.toThrow(/no_go_threshold/);
    // Just below it, the gates decide as usual.
    expect((await beyond(0.79)).guard_decision?.decision).toBe('allow');
  });
});
