import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { chat, endorseRule, endorsementState, showEndorsement, showKernel } from '../../../client/endorsement';
import { transitionEndorsement } from '../../../db/endorsement/endorsements';
import { listProvenance, withProvenanceTransaction } from '../../../db/provenance/log';
import { useIntegrationContext } from '../../support/integration';
import { BENIGN, eventually, freshAgent, kernelVersionCount, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-durability');

describe('durability', () => {
  it('promotes exactly once when the worker is stopped mid-cooldown and started after the deadline', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 3, cooldownMaxSeconds: 60, minSamples: 1 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true });
    await ctx.stopWorker();
    try {
      const staged = await showEndorsement(ctx, r.endorsementId);
      // Wait out the cooldown with no worker at all: nothing can promote meanwhile.
      await sleep(Math.max(0, Date.parse(staged.deadlineAt!) - Date.now()) + 500);
      expect((await showEndorsement(ctx, r.endorsementId)).state).toBe('staged');
    } finally {
      await ctx.startWorker();
    }
    // A batch lost with the stopped worker is retried after its 20 s heartbeat timeout.
    const done = await eventually(
      () => showEndorsement(ctx, r.endorsementId),
      (e) => e.state !== 'staged',
      100_000,
    );
    expect(done.state).toBe('promoted');
    expect(await kernelVersionCount(ctx, agent)).toBe(2);
    const promotions = await listProvenance(ctx.pool, {
      subject: `endorsement:${r.endorsementId}`,
      kind: 'endorsement.promoted',
    });
    expect(promotions).toHaveLength(1);
  });

  it('answers a chat waiting for its shadow with the samples still pending when no scorer runs in time', async () => {
    const agent = await freshAgent(ctx);
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    await ctx.stopWorker();
    try {
      const answer = await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true, shadowTimeoutMs: 1_500 });
      expect(answer.content.length).toBeGreaterThan(0);
      expect(answer.shadows.map((s) => [s.endorsementId, s.status])).toEqual([[r.endorsementId, 'pending']]);
      expect(answer.sandboxDivergence).toBeNull();
    } finally {
      await ctx.startWorker();
    }
  });

  it('a retried transition applies the change once (compare-and-set on the kernel version)', async () => {
    const agent = await freshAgent(ctx);
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { requestedBy: alice });
    const approve = () =>
      withProvenanceTransaction(ctx.pool, (tx) =>
        transitionEndorsement(tx, ctx.provenanceKey, {
          endorsementId: r.endorsementId,
          from: ['pending'],
          to: 'applied',
          actor: alice,
          provenanceKind: 'endorsement.decided',
          decision: 'approve',
          apply: true,
        }),
      );
    const [first, second] = [await approve(), await approve()];
    expect(first.appliedVersion).toBe(2);
    expect(second.appliedVersion).toBe(2);
    expect(await kernelVersionCount(ctx, agent)).toBe(2);
    expect(
      await listProvenance(ctx.pool, { subject: `endorsement:${r.endorsementId}`, kind: 'endorsement.decided' }),
    ).toHaveLength(1);
    // Kernel versions are immutable rows.
    await expect(
      ctx.pool.query(`UPDATE kernel_versions SET definition = '{}' WHERE agent_id = $1`, [agent]),
    ).rejects.toThrow(/immutable/);
  });

  it('batches sustained traffic, continues as new, keeps texts out of the history and still promotes', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 2, cooldownMaxSeconds: 120, minSamples: 30 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, {
      decide: { decision: 'stage', principal: alice },
      tuning: { batchSize: 4, maxHistoryEvents: 60 },
    });
    const prompts = Array.from({ length: 30 }, (_, i) => `What is the capital of France? (question ${i})`);
    // One after another, without waiting for the shadows: the workflow scores them in batches.
    for (const p of prompts) await chat(ctx, agent, p);
    const done = await eventually(
      () => showEndorsement(ctx, r.endorsementId),
      (e) => e.state !== 'staged',
    );
    expect(done.state).toBe('promoted');
    expect(done.samples.scored).toBe(30);
    const view = await endorsementState(ctx, r.endorsementId);
    expect(view.run).toBeGreaterThan(1);
    const history = await ctx.temporal.workflow.getHandle(r.endorsementId).fetchHistory();
    const text = JSON.stringify(history);
    expect(text).not.toContain('capital of France');
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    expect(signals).toBeLessThan(30);
    expect((await showKernel(ctx, agent)).version).toBe(2);
  });
});
