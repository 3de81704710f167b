import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker, type WorkerOptions } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { approve, ingestFeedback, proposeCalibrationUpdate, release } from '../../../client/guard';
import { createWardenWorker } from '../../../worker/create-worker';
import { reviewedRows, seedCalibrationRequest, seedPeopleAndPolicy, toNdjson, uniqueSuffix } from '../guard/guard-fixtures';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('notifications-replay');
const oldQueue = `${'notify-replay'}-${randomBytes(4).toString('hex')}`;
const absent = fileURLToPath(new URL('./notify-absent.ts', import.meta.url));
let oldWorker: Worker | undefined;
let running: Promise<void> | undefined;

// Replaces every `…/notify` import of the workflow code by the no-op stand-in.
const withoutNotifications: WorkerOptions['bundlerOptions'] = {
  webpackConfigHook: (config) => {
    config.plugins = [
      ...(config.plugins ?? []),
      {
        apply(compiler: { hooks: { normalModuleFactory: { tap(name: string, fn: (nmf: any) => void): void } } }) {
          compiler.hooks.normalModuleFactory.tap('warden-no-notify', (nmf) => {
            nmf.hooks.beforeResolve.tap('warden-no-notify', (data: { request: string }) => {
              if (/(^|\/)notify$/.test(data.request)) data.request = absent;
            });
          });
        },
      },
    ];
    return config;
  },
};

beforeAll(async () => {
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../../workflows/index.ts', import.meta.url)),
    ...withoutNotifications,
    logger: { log: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, debug: () => undefined, trace: () => undefined },
  });
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
      seedCalibrationRequest(people.proposer, `feedback://recent-reviewed?tenant=replay-${suffix}`, `rollback-replay-${suffix}`),
    );
    await approve(before, proposal.proposal_id, { approval_id: `appr-replay-${suffix}`, approver: people.approver });
    await release(before, proposal.proposal_id);
    const handle = ctx.temporal.workflow.getHandle(proposal.proposal_id);
    expect(await handle.result()).toMatchObject({ state: 'released' });

    const history = await handle.fetchHistory();
    const types = JSON.stringify(history.events?.map((e) => e.eventType));
    // Recorded by the old code: no patch marker, no child workflow.
    expect(history.events?.some((e) => e.markerRecordedEventAttributes)).toBe(false);
    expect(history.events?.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
    expect(types).not.toContain('CHILD');
    // The current code (the bundle every worker runs) replays it without a non-determinism error.
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, proposal.proposal_id);
  });
});
