import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseSignal, signalOrTimeoutWorkflow, type SignalOrTimeoutResult } from '../fixtures/timer-workflow';
import { createTimeSkippingEnv } from '../support/time-skipping';

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

describe('time-skipping toolchain (Java test server via the cached wrapper)', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    [env, workflowBundle] = await Promise.all([
      createTimeSkippingEnv(),
      bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../fixtures/timer-workflow.ts', import.meta.url)) }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await env?.teardown();
  });

  async function run(signal: boolean): Promise<SignalOrTimeoutResult> {
    const taskQueue = `toolchain-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start(signalOrTimeoutWorkflow, { taskQueue, workflowId: `toolchain-${randomUUID()}` });
      if (signal) await handle.signal(releaseSignal);
      return handle.result();
    });
  }

  it('lets a 7-day wait time out, seven virtual days after the run started', async () => {
    const result = await run(false);
    expect(result.outcome).toBe('timed-out');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(SEVEN_DAYS_MS);
  }, 120_000);

  it('ends the wait early when the signal arrives', async () => {
    const result = await run(true);
    expect(result.outcome).toBe('signalled');
    expect(result.elapsedMs).toBeLessThan(SEVEN_DAYS_MS);
  }, 120_000);
});
