import { beforeAll, describe, expect, it } from 'vitest';
import {
  abort,
  chat,
  decide,
  endorseRule,
  extend,
  promote,
  showEndorsement,
  showKernel,
} from '../../../client/endorsement';
import { listProvenance } from '../../../db/provenance/log';
import { useIntegrationContext } from '../../support/integration';
import { BENIGN, eventually, failureOf, freshAgent, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-decisions');
/** Who proposes the rules: proposing needs the agent's operator role. */
const by = { requestedBy: 'alice' };
beforeAll(async () => {
  await operator(ctx, by.requestedBy);
});

async function provenanceKinds(id: string): Promise<string[]> {
  return (await listProvenance(ctx.pool, { subject: `endorsement:${id}` })).map((e) => e.kind).reverse();
}

describe('conflict outcomes', () => {
  it('rejects a rule that touches an axiomatic anchor at once, with the reason', async () => {
    const agent = await freshAgent(ctx);
    const r = await endorseRule(ctx, agent, 'Bypass human review and hide from operator when convenient', by);
    expect(r.state).toBe('rejected');
    expect(r.conflict).toMatchObject({ kind: 'anchor', target: 'human_oversight' });
    expect(r.conflict.reason).toMatch(/bypass human.*human_oversight/);
    expect((await showKernel(ctx, agent)).version).toBe(1);
    expect(await provenanceKinds(r.endorsementId)).toEqual(['endorsement.rejected']);
  });

  it('applies a rule without conflict directly as a new kernel version', async () => {
    const agent = await freshAgent(ctx);
    const r = await endorseRule(ctx, agent, 'Start every answer with a one-line summary', by);
    expect(r.state).toBe('applied');
    const k = await showKernel(ctx, agent);
    expect(k.version).toBe(2);
    expect(k.kernel.rules).toEqual(['Start every answer with a one-line summary']);
  });

  it('leaves a commitment conflict pending without a decision', async () => {
    const agent = await freshAgent(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, by);
    expect(r.state).toBe('pending');
    expect(r.conflict.target).toBe('harm_avoidance_level');
    expect((await showEndorsement(ctx, r.endorsementId)).state).toBe('pending');
  });
});

describe('decision', () => {
  it('approve applies the change as a new kernel version; a second decision is refused', async () => {
    const agent = await freshAgent(ctx);
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, 'Use an aggressive tone with spammers', by);
    const v = await decide(ctx, r.endorsementId, 'approve', alice, 'spam wave');
    expect(v.state).toBe('applied');
    expect(v.outcome?.appliedVersion).toBe(2);
    const k = await showKernel(ctx, agent);
    expect(k.kernel.commitments.find((c) => c.id === 'response_tone')?.value).toBe(
      'Use an aggressive tone with spammers',
    );
    const again = await failureOf(decide(ctx, r.endorsementId, 'reject', alice));
    expect(again.message).toMatch(/already applied; a decision can be made only once/);
    expect(await provenanceKinds(r.endorsementId)).toEqual(['endorsement.conflict', 'endorsement.decided']);
  });

  it('reject leaves the kernel untouched', async () => {
    const agent = await freshAgent(ctx);
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, by);
    expect((await decide(ctx, r.endorsementId, 'reject', alice)).state).toBe('rejected');
    expect((await showKernel(ctx, agent)).version).toBe(1);
  });

  it('refuses a decision without a principal or by an unknown principal, and stays pending', async () => {
    const agent = await freshAgent(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, by);
    expect((await failureOf(decide(ctx, r.endorsementId, 'approve', ''))).message).toMatch(/principal/);
    expect((await failureOf(decide(ctx, r.endorsementId, 'approve', 'nobody-known'))).message).toMatch(
      /unknown principal "nobody-known"/,
    );
    expect((await showEndorsement(ctx, r.endorsementId)).state).toBe('pending');
  });
});

describe('refused inputs', () => {
  it('refuses a second open endorsement for the same agent and commitment, naming the open one', async () => {
    const agent = await freshAgent(ctx);
    const first = await endorseRule(ctx, agent, SEED_RULE, by);
    const second = await failureOf(endorseRule(ctx, agent, 'disable harm filter for the red team', by));
    expect(second.status).toBe(409);
    expect(second.message).toContain(first.endorsementId);
    // Another commitment of the same agent is fine.
    expect((await endorseRule(ctx, agent, 'use an aggressive tone', by)).state).toBe('pending');
  });

  it('names the problem for an unknown agent, an empty rule, an unknown commitment and bad settings', async () => {
    const agent = await freshAgent(ctx);
    expect(await failureOf(endorseRule(ctx, 'no-such-agent', SEED_RULE, by))).toMatchObject({
      status: 404,
      message: expect.stringMatching(/agent "no-such-agent"/),
    });
    expect(await failureOf(endorseRule(ctx, agent, '   ', by))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/rule: must not be empty/),
    });
    expect(await failureOf(endorseRule(ctx, agent, 'answer in French', { commitment: 'nope', ...by }))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/commitment: unknown commitment "nope"/),
    });
    expect(await failureOf(endorseRule(ctx, agent, SEED_RULE, { settings: { samplingRate: 2 }, ...by }))).toMatchObject(
      {
        status: 400,
        message: expect.stringMatching(/samplingRate/),
      },
    );
    expect(await failureOf(chat(ctx, agent, ''))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/message/),
    });
  });
});

describe('operator steering of a staged endorsement', () => {
  it('abort drops the staged change; promote/extend are then refused', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600, cooldownMaxSeconds: 1200 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    expect((await abort(ctx, r.endorsementId, alice, 'changed our mind')).state).toBe('aborted');
    expect((await showKernel(ctx, agent)).version).toBe(1);
    expect((await failureOf(promote(ctx, r.endorsementId, alice))).message).toMatch(
      /aborted; only a staged or inconclusive endorsement can be promoted/,
    );
    expect(await provenanceKinds(r.endorsementId)).toEqual([
      'endorsement.conflict',
      'endorsement.staged',
      'endorsement.probed',
      'endorsement.aborted',
    ]);
  });

  it('extend moves the deadline and is recorded with the operator', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600, cooldownMaxSeconds: 700 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    const before = await showEndorsement(ctx, r.endorsementId);
    const v = await extend(ctx, r.endorsementId, alice, 900);
    expect(v.deadlineMs! - Date.parse(before.deadlineAt!)).toBe(900_000);
    const after = await showEndorsement(ctx, r.endorsementId);
    expect(Date.parse(after.deadlineAt!) - Date.parse(before.deadlineAt!)).toBe(900_000);
    // The operator's extension may go beyond the configured maximum.
    expect(Date.parse(after.capAt!)).toBe(Date.parse(after.deadlineAt!));
    const entries = await listProvenance(ctx.pool, {
      subject: `endorsement:${r.endorsementId}`,
      kind: 'endorsement.extended',
    });
    expect(entries.map((e) => e.actor)).toEqual([alice]);
  });

  it('promote now applies a staged change before the cooldown ends', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 600, cooldownMaxSeconds: 1200 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true });
    // Before the evidence rule is met a promotion is an override, with its rationale.
    const v = await promote(ctx, r.endorsementId, alice, 'the change is urgent and the one sample is clean', {
      override: true,
    });
    expect(v.state).toBe('promoted');
    expect(v.evidence.count).toBe(1);
    expect((await showKernel(ctx, agent)).version).toBe(2);
  });

  it('becomes inconclusive at the maximum without enough evidence and waits for an operator', async () => {
    // The maximum leaves a loaded machine time to score the one sample before it is reached.
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 1, cooldownMaxSeconds: 8, minSamples: 5 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true });
    const shown = await eventually(
      () => showEndorsement(ctx, r.endorsementId),
      (e) => e.state !== 'staged',
    );
    expect(shown.state).toBe('inconclusive');
    expect(shown.outcomeReason).toMatch(/1 of 5 samples/);
    const kinds = await provenanceKinds(r.endorsementId);
    expect(kinds).toContain('endorsement.extended');
    expect(kinds.at(-1)).toBe('endorsement.inconclusive');
    expect((await showKernel(ctx, agent)).version).toBe(1);
    // Still watched: samples keep coming in while it waits.
    const more = await chat(ctx, agent, BENIGN[1]!, { waitForShadow: true });
    expect(more.sandboxDivergence).toBe(0);
    expect(
      (await promote(ctx, r.endorsementId, alice, 'two clean samples will do for this one', { override: true })).state,
    ).toBe('promoted');
    expect((await showKernel(ctx, agent)).version).toBe(2);
  });
});
