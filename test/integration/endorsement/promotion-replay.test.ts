import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chat, endorseRule, promote } from '../../../client/endorsement';
import { createWardenWorker } from '../../../worker/create-worker';
import { PROMOTE_NEEDS_EVIDENCE_OR_OVERRIDE } from '../../../workflows/endorsement/promotion-rule';
import { bundleWithStandIn, patchIds } from '../../support/bundle-with-stand-in';
import { useIntegrationContext } from '../../support/integration';
import { BENIGN, freshAgent, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-promotion-replay');
const earlierQueue = `promotion-replay-${randomBytes(4).toString('hex')}`;
const absent = fileURLToPath(new URL('./promotion-rule-absent.ts', import.meta.url));
let earlier: Worker | undefined;
let running: Promise<void> | undefined;

beforeAll(async () => {
  ({ worker: earlier } = await createWardenWorker({
    pool: ctx.pool,
    config: ctx.config,
    provenanceKey: ctx.provenanceKey,
    taskQueue: earlierQueue,
    workflowBundle: await bundleWithStandIn(/(^|\/)promotion-rule$/, absent),
    overrides: { shutdownGraceTime: '1s' },
  }));
  running = earlier.run();
});

afterAll(async () => {
  earlier?.shutdown();
  await running;
});

describe('endorsements already running when promotion started to check the evidence rule', () => {
  it('an early promotion recorded by the earlier release replays on the current code', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 1800, cooldownMaxSeconds: 3600 });
    const alice = await operator(ctx);
    const before = { ...ctx, taskQueue: earlierQueue };
    const r = await endorseRule(before, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    await chat(ctx, agent, BENIGN[0]!, { waitForShadow: true });
    // The earlier code promoted at once, without an override.
    expect((await promote(before, r.endorsementId, alice)).state).toBe('promoted');
    const handle = ctx.temporal.workflow.getHandle(r.endorsementId);
    await handle.result();
    const history = await handle.fetchHistory();
    expect(patchIds(history)).not.toContain(PROMOTE_NEEDS_EVIDENCE_OR_OVERRIDE);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      r.endorsementId,
    );
  });
});
