import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { approve, ingestFeedback, proposeCalibrationUpdate, release } from '../../../client/guard';
import { createWardenWorker } from '../../../worker/create-worker';
import {
  reviewedRows,
  seedCalibrationRequest,
  seedPeopleAndPolicy,
  toNdjson,
  uniqueSuffix,
} from '../guard/guard-fixtures';
import { bundleWithStandIn } from '../../support/bundle-with-stand-in';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('notifications-replay');
const oldQueue = `${'notify-replay'}-${randomBytes(4).toString('hex')}`;
const absent = fileURLToPath(new URL('./notify-absent.ts', import.meta.url));
let oldWorker: Worker | undefined;
let running: Promise<void> | undefined;

beforeAll(async () => {
  // Every `…/notify` import of the workflow code resolves to the no-op stand-in.
  const bundle = await bundleWithStandIn(/(^|\/)notify$/, absent);
  ({ worker: oldWorker } = await createWardenWorker({
    pool: ctx.pool,
    config: ctx.config,
    provenanceKey: ctx.provenanceKey,
    taskQueue: oldQueue,
    workflowBundle: bundle,
    overrides: { shutdownGraceTime: '1s' },
  }));
  running = oldWorker.run();
});

afterAll(async () => {
  oldWorker?.shutdown();
  await running;
});

describe('notifications and workflows already running', () => {
  it('a proposal recorded before notifications existed replays with the notify() calls in place', async () => {
    const suffix = uniqueSuffix();
    const people = await seedPeopleAndPolicy(ctx, suffix);
    await ingestFeedback(ctx, toNdjson(reviewedRows(`replay-${suffix}`, 40, { marker: suffix })), people.proposer);
    const before = { ...ctx, taskQueue: oldQueue };
    const proposal = await proposeCalibrationUpdate(
      before,
      seedCalibrationRequest(
        people.proposer,
        `feedback://recent-reviewed?tenant=replay-${suffix}`,
        `rollback-replay-${suffix}`,
      ),
    );
    await approve(before, proposal.proposal_id, { approval_id: `appr-replay-${suffix}`, approver: people.approver });
    await release(before, proposal.proposal_id, people.approver);
    const handle = ctx.temporal.workflow.getHandle(proposal.proposal_id);
    expect(await handle.result()).toMatchObject({ state: 'released' });

    const history = await handle.fetchHistory();
    const types = JSON.stringify(history.events?.map((e) => e.eventType));
    // Recorded by the old code: no patch marker, no child workflow.
    expect(history.events?.some((e) => e.markerRecordedEventAttributes)).toBe(false);
    expect(history.events?.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
    expect(types).not.toContain('CHILD');
    // The current code (the bundle every worker runs) replays it without a non-determinism error.
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      proposal.proposal_id,
    );
  });
});
