import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../toolchain/child-process';
import { ownStackEnv } from '../../../start/own-stack-env';
import { startStack, type RunningStack } from '../../support/stack';

describe('the metrics endpoints of a running Warden', () => {
  let dataDir: string | undefined;
  let stack: RunningStack | undefined;
  afterAll(async () => {
    if (stack && stack.child.exitCode === null) {
      stack.child.kill('SIGTERM');
      await stack.exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves Warden and Temporal SDK worker series on the API, and the SDK series alone on WARDEN_SDK_METRICS_PORT', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'warden-scrape-'));
    const sdkPort = await freePort();
    const { env, ports } = await ownStackEnv(dataDir, { WARDEN_SDK_METRICS_PORT: String(sdkPort) });
    const httpPort = ports.http;
    stack = await startStack(env);

    const warden = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    expect(warden.status).toBe(200);
    const text = await warden.text();
    // The demo seed starts the delegation monitor and a review-ready ABP: its triggers are reported.
    expect(text).toMatch(/^warden_workflows\{kind="endorsement",state="pending"\} \d+$/m);
    expect(text).toMatch(/^temporal_\w+\{.*task_queue="warden".*\} \d/m);
    expect(text).toMatch(
      /^warden_trigger_state\{abp_id="ABP-[0-9a-f]{8}",trigger_id="DRT-001",severity="\w+",state="clear"\} [01]$/m,
    );

    const sdk = await fetch(`http://127.0.0.1:${sdkPort}/metrics`);
    expect(sdk.status).toBe(200);
    const sdkText = await sdk.text();
    expect(sdkText).toMatch(/^temporal_\w+\{.*task_queue="warden".*\} \d/m);
    expect(sdkText).not.toMatch(/^warden_/m);

    stack.child.kill('SIGTERM');
    expect(await stack.exited).toBe(0);
  });
});
