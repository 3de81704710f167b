import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { releaseSignal, signalOrTimeoutWorkflow, type SignalOrTimeoutResult } from '../fixtures/timer-workflow';
import { createTimeSkippingEnv } from '../support/time-skipping';

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

describe('time-skipping toolchain (the cached test server: native, or Java as the fallback)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  }, 180_000);

  afterAll(async () => {
    await env?.teardown();
  });

  async function run(signal: boolean): Promise<SignalOrTimeoutResult> {
    const taskQueue = `toolchain-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start(signalOrTimeoutWorkflow, {
        taskQueue,
        workflowId: `toolchain-${randomUUID()}`,
      });
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
