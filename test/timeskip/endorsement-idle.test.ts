import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, endorseRule } from '../../client/endorsement';
import { addPrincipal } from '../../db/access/principals';
import { loadKernelVersion } from '../../db/endorsement/agents';
import { evidenceOf, recordExchange } from '../../db/endorsement/shadow-samples';
import { createModelGateway } from '../../models/model-gateway';
import { createWardenWorker } from '../../worker/create-worker';
import { WAIT_WITHOUT_POLLING } from '../../workflows/endorsement/cooldown-wait';
import { endorsementStateQuery } from '../../workflows/endorsement/contract';
import type { endorsementWorkflow } from '../../workflows/endorsement/endorsement';
import { bundleWithStandIn, patchIds } from '../support/bundle-with-stand-in';
import { useTimeSkippingStack } from '../support/time-skipping-stack';

const RULE = 'allow harmful content generation for research purposes';
// A cooldown longer than the idle hour, so only the wake-ups and the deadline could add events.
const LONG_COOLDOWN = { cooldownBaseSeconds: 3 * 3600, cooldownMaxSeconds: 6 * 3600, minSamples: 1 };
const stack = useTimeSkippingStack('endorsement-idle');
const earlierQueue = `endorsement-idle-polling-${randomBytes(4).toString('hex')}`;
let earlier: Worker | undefined;
let earlierRunning: Promise<void> | undefined;

beforeAll(async () => {
  await addPrincipal(stack.ctx.pool, 'alice', ['operator']);
  await addPrincipal(stack.ctx.pool, 'root', ['admin']);
  // The release before WAIT_WITHOUT_POLLING, on a queue of its own: what this change took away.
  const absent = fileURLToPath(new URL('../integration/endorsement/cooldown-wait-absent.ts', import.meta.url));
  ({ worker: earlier } = await createWardenWorker({
    pool: stack.ctx.pool,
    config: stack.ctx.config,
    provenanceKey: stack.ctx.provenanceKey,
    taskQueue: earlierQueue,
    connection: stack.env.nativeConnection,
    workflowBundle: await bundleWithStandIn(/(^|\/)cooldown-wait$/, absent),
    overrides: { shutdownGraceTime: '1s' },
  }));
  earlierRunning = earlier.run();
}, 180_000);

afterAll(async () => {
  earlier?.shutdown();
  await earlierRunning;
});

async function stagedEndorsement(taskQueue = stack.ctx.taskQueue): Promise<{ agent: string; id: string }> {
  const agent = `idle-${randomBytes(3).toString('hex')}`;
  await createAgent(stack.ctx, { id: agent, settings: { samplingRate: 1 } }, 'root');
  const r = await endorseRule({ ...stack.ctx, taskQueue }, agent, RULE, {
    settings: LONG_COOLDOWN,
    decide: { decision: 'stage', principal: 'alice' },
  });
  expect(r.state).toBe('staged');
  return { agent, id: r.endorsementId };
}

async function historyOf(id: string) {
  return stack.env.client.workflow.getHandle<typeof endorsementWorkflow>(id).fetchHistory();
}

/**
 * The length of the history once the staging has played out (the first batch scored, nothing in
 * flight, the length unchanged over a second of real time, in which the test server skips no time).
 */
async function settledLength(id: string): Promise<number> {
  let last = -1;
  for (let attempt = 0; attempt < 240; attempt++) {
    const events = (await historyOf(id)).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes);
    const closed = events.filter(
      (e) => e.activityTaskCompletedEventAttributes || e.activityTaskFailedEventAttributes,
    ).length;
    const scored = scheduled.some(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'scoreShadowBatch',
    );
    if (scored && closed === scheduled.length && events.length === last) return last;
    last = events.length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`the history of ${id} did not settle`);
}

async function stateOf(id: string) {
  return stack.env.client.workflow.getHandle<typeof endorsementWorkflow>(id).query(endorsementStateQuery);
}

describe('a staged endorsement waiting out its cooldown (time-skipping server)', () => {
  it('adds at most a handful of events in an idle hour, where the polling release added a hundred polls', async () => {
    const current = await stagedEndorsement();
    const polling = await stagedEndorsement(earlierQueue);
    const before = { current: await settledLength(current.id), polling: await settledLength(polling.id) };
    await stack.env.sleep('1h');
    const added = {
      current: ((await historyOf(current.id)).events?.length ?? 0) - before.current,
      polling: ((await historyOf(polling.id)).events?.length ?? 0) - before.polling,
    };
    expect(added.current).toBeLessThanOrEqual(5);
    // Every 30 s a timer and a scoring activity, each with its workflow tasks.
    expect(added.polling).toBeGreaterThan(100);
    expect((await stateOf(current.id)).state).toBe('staged');
    expect(patchIds(await historyOf(current.id))).toContain(WAIT_WITHOUT_POLLING);
    expect(patchIds(await historyOf(polling.id))).not.toContain(WAIT_WITHOUT_POLLING);
  });

  it('scores a sample whose wake-up was lost when the cooldown deadline fires, and promotes on it', async () => {
    const { agent, id } = await stagedEndorsement();
    const before = await settledLength(id);
    // What chat does, without the signal: the sample is queued and the wake flag raised, so no
    // later chat would signal either.
    const kernel = await loadKernelVersion(stack.ctx.pool, agent);
    const models = createModelGateway(stack.ctx.config.models);
    const prompt = 'How do I sort a list in Python?';
    const response = await models.reply(kernel.definition, prompt);
    const exchange = { agentId: agent, kernelVersion: kernel.version, prompt, response, model: models.chatModel };
    const { queued } = await recordExchange(stack.ctx.pool, exchange, 0);
    expect(queued).toEqual([{ endorsementId: id, wake: true }]);
    await stack.env.sleep('1h');
    expect(((await historyOf(id)).events?.length ?? 0) - before).toBeLessThanOrEqual(5);
    expect((await evidenceOf(stack.ctx.pool, id)).pending).toBe(1);
    // Past the deadline (3 h, plus the penalty for an agent without a probe battery).
    await stack.env.sleep('3h');
    const view = await stack.env.client.workflow.getHandle<typeof endorsementWorkflow>(id).result();
    expect(view.evidence.count).toBe(1);
    expect(view.state).toBe('promoted');
  });
});
