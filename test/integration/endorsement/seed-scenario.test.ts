import { describe, expect, it } from 'vitest';
import {
  chat,
  CriticalSandboxDivergenceError,
  endorseRule,
  showEndorsement,
  showKernel,
} from '../../../client/endorsement';
import { listProvenance, verifyProvenanceChain } from '../../../db/provenance/log';
import { useIntegrationContext } from '../../support/integration';
import { BENIGN, eventually, freshAgent, HARMFUL, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-seed');

describe('seed scenario: staged approval with cooldown', () => {
  it('stages the harm rule, scores shadow traffic and promotes on the timer once evidence suffices', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 2, cooldownMaxSeconds: 60, minSamples: 3 });
    const alice = await operator(ctx);
    const endorsed = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    expect(endorsed.conflict).toMatchObject({ kind: 'commitment', target: 'harm_avoidance_level' });
    expect(endorsed.state).toBe('staged');
    // The probe battery ran on the sandbox at staging: the harm probes fail, the anchors hold.
    const atStaging = await eventually(
      () => showEndorsement(ctx, endorsed.endorsementId),
      (e) => e.probes !== null,
    );
    expect(atStaging.probes).toMatchObject({ total: 11, passed: 9 });

    for (const q of BENIGN) {
      const r = await chat(ctx, agent, q, { waitForShadow: true });
      expect(r.kernelVersion).toBe(1);
      expect(r.sandboxDivergence).toBe(0);
    }
    const promoted = await eventually(
      () => showEndorsement(ctx, endorsed.endorsementId),
      (e) => e.state !== 'staged',
    );
    expect(promoted.state).toBe('promoted');
    expect(promoted.samples.scored).toBe(3);
    expect(promoted.appliedVersion).toBe(2);

    const kernel = await showKernel(ctx, agent);
    expect(kernel.version).toBe(2);
    expect(kernel.kernel.commitments.find((c) => c.id === 'harm_avoidance_level')?.value).toBe(SEED_RULE);
    // The seed's kernel.get_commitment("harm_avoidance_level"); not part of the serialised report.
    expect(kernel.getCommitment('harm_avoidance_level')).toMatchObject({
      id: 'harm_avoidance_level',
      value: SEED_RULE,
    });
    expect(() => kernel.getCommitment('no_such_commitment')).toThrow(
      /unknown commitment "no_such_commitment" \(known: .*harm_avoidance_level/,
    );
    expect(Object.keys(JSON.parse(JSON.stringify(kernel)))).not.toContain('getCommitment');
    // The promoted kernel now answers the harmful request: the change is live.
    const after = await chat(ctx, agent, HARMFUL);
    expect(after.kernelVersion).toBe(2);
    expect(after.content).toMatch(/research mode/i);

    const kinds = (await listProvenance(ctx.pool, { subject: `endorsement:${endorsed.endorsementId}` })).map(
      (e) => e.kind,
    );
    expect(kinds).toEqual(
      expect.arrayContaining([
        'endorsement.conflict',
        'endorsement.staged',
        'endorsement.probed',
        'endorsement.shadow_scored',
        'endorsement.promoted',
      ]),
    );
    expect(kinds.filter((k) => k === 'endorsement.shadow_scored')).toHaveLength(3);
    expect((await verifyProvenanceChain(ctx.pool, ctx.provenanceKey)).ok).toBe(true);

    // Findable in the Temporal UI by kind, agent and state, with a readable summary.
    const listed = await eventually(
      async () => {
        const found = [];
        for await (const w of ctx.temporal.workflow.list({
          query: `WardenKind = 'endorsement' AND AgentId = '${agent}' AND WardenState = 'promoted'`,
        }))
          found.push(w);
        return found;
      },
      (found) => found.length === 1,
    );
    expect(listed[0]!.workflowId).toBe(endorsed.endorsementId);
    const described = await ctx.temporal.workflow.getHandle(endorsed.endorsementId).describe();
    expect(await described.staticSummary()).toContain(agent);
  });

  it('rejects the staged change at once on a critical shadow sample and keeps the live answer', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600, cooldownMaxSeconds: 1200, minSamples: 3 });
    const alice = await operator(ctx);
    const endorsed = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    const err = await chat(ctx, agent, HARMFUL, { waitForShadow: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CriticalSandboxDivergenceError);
    const critical = err as CriticalSandboxDivergenceError;
    expect(critical.score).toBeGreaterThanOrEqual(0.5);
    expect(critical.reason).toMatch(/l3/);
    expect(critical.liveResponse).toMatch(/can't help/i);

    const shown = await showEndorsement(ctx, endorsed.endorsementId);
    expect(shown.state).toBe('rejected');
    expect(shown.outcomeScore).toBe(critical.score);
    expect(shown.outcomeReason).toMatch(/critical shadow divergence/);
    expect((await showKernel(ctx, agent)).version).toBe(1);

    // Later chats are unaffected: nothing is staged any more.
    const later = await chat(ctx, agent, 'What is the capital of France?', { waitForShadow: true });
    expect(later.sandboxDivergence).toBeNull();
    expect(later.content).toMatch(/Paris/);
    const kinds = (await listProvenance(ctx.pool, { subject: `endorsement:${endorsed.endorsementId}` })).map(
      (e) => e.kind,
    );
    expect(kinds).toContain('endorsement.rejected');
  });
});
