import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { DeferredWork } from '../../../client/deferred-work';
import { DEMO_AGENT_ID, seedEndorsementDemo } from '../../../demo/endorsement';
import { createModelGateway, type ModelGateway } from '../../../models/model-gateway';
import { evidenceOf } from '../../../db/endorsement/shadow-samples';
import { scoreShadowBatch } from '../../../activities/endorsement/shadow-scoring';
import { chat, endorseRule, showKernel } from '../../../client/endorsement';
import { listProvenance } from '../../../db/provenance/log';
import { useIntegrationContext } from '../../support/integration';
import { BENIGN, eventually, freshAgent, idleAfterFirstBatch, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-evidence');

/**
 * A staged endorsement (long cooldown, every chat sampled) whose first batch is scored and that
 * has nothing in flight, with its wake flag and its count of wake-up signals (once deferred
 * signals have gone out) at hand.
 */
async function idleStaged() {
  const agent = await freshAgent(ctx, { cooldownBaseSeconds: 3000, cooldownMaxSeconds: 3600, samplingRate: 1 });
  const alice = await operator(ctx);
  const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
  await eventually(
    () => evidenceOf(ctx.pool, r.endorsementId),
    (e) => e.pending === 0,
  );
  const flag = async () => {
    const sql = 'SELECT wake_requested AS w FROM endorsements WHERE id = $1';
    return (await ctx.pool.query<{ w: boolean }>(sql, [r.endorsementId])).rows[0]!.w;
  };
  // Idle means no batch in flight and the flag down: a loaded machine can show the first batch
  // closed in the history before the workflow has gone to sleep (the flag still up), and a chat
  // then would rightly send no signal.
  await idleAfterFirstBatch(ctx, r.endorsementId);
  await eventually(flag, (up) => !up);
  await idleAfterFirstBatch(ctx, r.endorsementId);
  const wakeUps = async () => {
    await ctx.deferred.settle();
    const history = await ctx.temporal.workflow.getHandle(r.endorsementId).fetchHistory();
    const signals = (history.events ?? []).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName);
    return signals.filter((name) => name === 'shadowSamplesPending').length;
  };
  return { agent, r, flag, wakeUps };
}

describe('evidence', () => {
  it('a shadow whose model keeps failing is recorded as missing evidence, never as a pass', async () => {
    // A long cooldown keeps the workflow from scoring; the batch is scored here with a broken model.
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 3000, cooldownMaxSeconds: 3600, samplingRate: 1 });
    const alice = await operator(ctx);
    await ctx.stopWorker();
    let endorsementId: string;
    try {
      const started = endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
      await ctx.startWorker();
      endorsementId = (await started).endorsementId;
    } finally {
      await ctx.stopWorker().catch(() => undefined);
    }
    try {
      await chat(ctx, agent, BENIGN[0]!);
      let calls = 0;
      const broken: ModelGateway = {
        ...createModelGateway(ctx.config.models),
        async reply() {
          calls += 1;
          throw new Error('model endpoint unavailable');
        },
      };
      const batch = await scoreShadowBatch(ctx.pool, ctx.provenanceKey, broken, {
        endorsementId,
        limit: 10,
        retryBaseMs: 1,
      });
      expect(calls).toBe(3);
      expect(batch).toMatchObject({ scored: 0, failed: 1, critical: null, more: false });
      expect(batch.evidence).toMatchObject({ count: 0, failed: 1 });
      const ev = await evidenceOf(ctx.pool, endorsementId);
      expect(ev.count).toBe(0);
      const kinds = (await listProvenance(ctx.pool, { subject: `endorsement:${endorsementId}` })).map((e) => e.kind);
      expect(kinds).toContain('endorsement.shadow_failed');
    } finally {
      await ctx.startWorker();
    }
  });

  it('answers a chat without waiting for the wake-up signal, which one chat per batch sends', async () => {
    const { agent, r, wakeUps } = await idleStaged();
    // With no worker nothing scores, so the wake flag stays up after the first chat flips it.
    await ctx.stopWorker();
    try {
      const answers = [];
      for (const message of BENIGN) answers.push(await chat(ctx, agent, message));
      expect(answers.map((a) => a.content.length > 0)).toEqual([true, true, true]);
      expect((await evidenceOf(ctx.pool, r.endorsementId)).pending).toBe(3);
      expect(await wakeUps()).toBe(1);
    } finally {
      await ctx.startWorker();
    }
    const scored = await eventually(
      () => evidenceOf(ctx.pool, r.endorsementId),
      (e) => e.pending === 0,
    );
    expect(scored.count).toBe(3);
  });

  it('keeps the workflow awake through a backlog: chats queued meanwhile send no signal until the queue runs dry', async () => {
    const { agent, r, flag, wakeUps } = await idleStaged();
    const models = createModelGateway(ctx.config.models);
    const batch = (limit: number) =>
      scoreShadowBatch(ctx.pool, ctx.provenanceKey, models, { endorsementId: r.endorsementId, limit });
    // Scored here, in batches this test controls; the worker would race it.
    await ctx.stopWorker();
    try {
      const before = await wakeUps();
      for (const message of BENIGN) await chat(ctx, agent, message);
      expect(await wakeUps()).toBe(before + 1);
      expect(await batch(2)).toMatchObject({ scored: 2, more: true });
      expect(await flag()).toBe(true);
      await chat(ctx, agent, 'What is the boiling point of water?');
      expect(await wakeUps()).toBe(before + 1);
      expect(await batch(10)).toMatchObject({ scored: 2, more: false });
      expect(await flag()).toBe(false);
      await chat(ctx, agent, 'Name a prime number.');
      expect(await flag()).toBe(true);
      expect(await wakeUps()).toBe(before + 2);
    } finally {
      await ctx.startWorker();
    }
    expect(
      (
        await eventually(
          () => evidenceOf(ctx.pool, r.endorsementId),
          (e) => e.pending === 0,
        )
      ).count,
    ).toBe(5);
  });

  it('lowers the wake flag again when the wake-up signal fails, so the next chat signals', async () => {
    const { agent, r, flag, wakeUps } = await idleStaged();
    const before = await wakeUps();
    const failing = { signal: () => Promise.reject(new Error('Temporal unreachable')) };
    const unreachable = { workflow: { getHandle: () => failing } } as unknown as Client;
    const cutOff = { ...ctx, temporal: unreachable, deferred: new DeferredWork() };
    await chat(cutOff, agent, BENIGN[0]!);
    await cutOff.deferred.settle();
    expect(await flag()).toBe(false);
    expect(await wakeUps()).toBe(before);
    expect((await evidenceOf(ctx.pool, r.endorsementId)).pending).toBe(1);
    await chat(ctx, agent, BENIGN[1]!);
    expect(await wakeUps()).toBe(before + 1);
    // The one wake-up pulls both samples, the one whose signal was lost among them.
    expect(
      (
        await eventually(
          () => evidenceOf(ctx.pool, r.endorsementId),
          (e) => e.pending === 0,
        )
      ).count,
    ).toBe(2);
  });

  it('watches every staged change of an agent, not only the first', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600 });
    const alice = await operator(ctx);
    const harm = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    const tone = await endorseRule(ctx, agent, 'use an aggressive tone', {
      decide: { decision: 'stage', principal: alice },
    });
    const answer = await chat(ctx, agent, 'How do I sort a list in Python?', { waitForShadow: true });
    expect(answer.shadows.map((s) => s.endorsementId).sort()).toEqual([harm.endorsementId, tone.endorsementId].sort());
    const byId = Object.fromEntries(answer.shadows.map((s) => [s.endorsementId, s.divergence]));
    expect(byId[harm.endorsementId]).toBe(0);
    expect(byId[tone.endorsementId]).toBeGreaterThan(0);
    expect(answer.sandboxDivergence).toBe(byId[tone.endorsementId]);
  });

  it('refuses an unknown principal before starting anything', async () => {
    const agent = await freshAgent(ctx);
    await expect(endorseRule(ctx, agent, SEED_RULE, { requestedBy: 'ghost' })).rejects.toThrow(
      /unknown principal "ghost"/,
    );
    await expect(
      endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: 'ghost' } }),
    ).rejects.toThrow(/unknown principal "ghost"/);
    expect((await showKernel(ctx, agent)).openEndorsements).toEqual([]);
  });

  it('respects the sampling rate: a rate of 0 mirrors nothing', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600, samplingRate: 0 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    const answer = await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true });
    expect(answer.sandboxDivergence).toBeNull();
    expect(
      (await evidenceOf(ctx.pool, r.endorsementId)).count + (await evidenceOf(ctx.pool, r.endorsementId)).pending,
    ).toBe(0);
  });

  it('seeds the demo agent research-bot with the default kernel once', async () => {
    // A worker process started by another test may have seeded this database already.
    await seedEndorsementDemo(ctx.pool, ctx.provenanceKey);
    expect(await seedEndorsementDemo(ctx.pool, ctx.provenanceKey)).toBe(false);
    expect(await listProvenance(ctx.pool, { subject: `agent:${DEMO_AGENT_ID}`, kind: 'agent.created' })).toHaveLength(
      1,
    );
    const k = await showKernel(ctx, DEMO_AGENT_ID);
    expect(k.version).toBe(1);
    expect(k.kernel.name).toBe('default');
    expect(k.probeBattery).toBe(true);
  });
});
