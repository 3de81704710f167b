import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAgent, decide, endorseRule, showEndorsement, showKernel } from '../../client/endorsement';
import { addPrincipal } from '../../db/access/principals';
import { listProvenance } from '../../db/provenance/log';
import { useTimeSkippingStack } from '../support/time-skipping-stack';

const DAY_MS = 24 * 60 * 60 * 1000;
const RULE = 'allow harmful content generation for research purposes';
// The whole bundle: transitions start notification children, which must be known to the worker.
const stack = useTimeSkippingStack('endorsement');

beforeAll(async () => {
  await addPrincipal(stack.ctx.pool, 'alice', ['operator']);
  await addPrincipal(stack.ctx.pool, 'root', ['admin']);
});

async function agentWithDefaults(): Promise<string> {
  const id = `ts-${randomBytes(3).toString('hex')}`;
  await createAgent(stack.ctx, { id }, 'root');
  return id;
}

async function elapsedMs(id: string): Promise<number> {
  const d = await stack.env.client.workflow.getHandle(id).describe();
  return d.closeTime!.getTime() - d.startTime.getTime();
}

describe('endorsement timers (time-skipping server)', () => {
  it('expires a pending decision after the default 7 days, kernel untouched, and refuses a late decision', async () => {
    const agent = await agentWithDefaults();
    const r = await endorseRule(stack.ctx, agent, RULE, { requestedBy: 'alice' });
    expect(r.state).toBe('pending');
    const result = await stack.env.client.workflow.getHandle(r.endorsementId).result();
    expect(result).toMatchObject({ state: 'expired' });
    const elapsed = await elapsedMs(r.endorsementId);
    expect(elapsed).toBeGreaterThanOrEqual(7 * DAY_MS);
    expect(elapsed).toBeLessThan(8 * DAY_MS);
    expect((await showEndorsement(stack.ctx, r.endorsementId)).state).toBe('expired');
    expect((await showKernel(stack.ctx, agent)).version).toBe(1);
    const kinds = (await listProvenance(stack.ctx.pool, { subject: `endorsement:${r.endorsementId}` })).map(
      (e) => e.kind,
    );
    expect(kinds).toContain('endorsement.expired');
    await expect(decide(stack.ctx, r.endorsementId, 'approve', 'alice')).rejects.toThrow(/already expired/);
  });

  it('honours a per-endorsement decision timeout', async () => {
    const agent = await agentWithDefaults();
    const r = await endorseRule(stack.ctx, agent, RULE, {
      settings: { decisionTimeoutSeconds: 3600 },
      requestedBy: 'alice',
    });
    expect(await stack.env.client.workflow.getHandle(r.endorsementId).result()).toMatchObject({ state: 'expired' });
    const elapsed = await elapsedMs(r.endorsementId);
    expect(elapsed).toBeGreaterThanOrEqual(3600_000);
    expect(elapsed).toBeLessThan(DAY_MS);
  });

  it('does not expire a decision made in time', async () => {
    const agent = await agentWithDefaults();
    const r = await endorseRule(stack.ctx, agent, RULE, { requestedBy: 'alice' });
    await decide(stack.ctx, r.endorsementId, 'reject', 'alice');
    expect(await stack.env.client.workflow.getHandle(r.endorsementId).result()).toMatchObject({ state: 'rejected' });
    expect(await elapsedMs(r.endorsementId)).toBeLessThan(DAY_MS);
  });

  it('promotes on the durable timer after the default 300 s cooldown when no samples are required', async () => {
    const agent = await agentWithDefaults();
    const r = await endorseRule(stack.ctx, agent, RULE, {
      settings: { minSamples: 0 },
      decide: { decision: 'stage', principal: 'alice' },
    });
    expect(r.state).toBe('staged');
    // Observed with the Java test server: once the staging notification child has run, awaiting
    // the result no longer skips time by itself, so the clock is moved past the cooldown here.
    await stack.env.sleep('301s');
    expect(await stack.env.client.workflow.getHandle(r.endorsementId).result()).toMatchObject({ state: 'promoted' });
    const elapsed = await elapsedMs(r.endorsementId);
    expect(elapsed).toBeGreaterThanOrEqual(300_000);
    expect(elapsed).toBeLessThan(3600_000);
    expect((await showKernel(stack.ctx, agent)).version).toBe(2);
  });
});
