import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portOpen } from '../../../toolchain/child-process';
import { rawGet, rawRequest } from '../../support/raw-http';
import { ownStackEnv } from '../../../start/own-stack-env';
import { removeStack, startStack, type RunningStack } from '../../support/stack';

/** The pid of the child of `parent` whose command line matches `command`. */
function childPid(parent: number, command: RegExp): number {
  const lines = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' }).split('\n');
  const line = lines.find((l) => command.test(l));
  if (!line) throw new Error(`no child of ${parent} runs ${command}:\n${lines.join('\n')}`);
  return Number.parseInt(line.trim(), 10);
}

describe('npm start under attack and at Ctrl-C (issue #10, findings 1 and 3)', () => {
  let dataDir: string | undefined;
  let running: RunningStack | undefined;
  afterAll(() => removeStack(running, dataDir));

  it('keeps serving after `//` and a bad absolute target, then stops once, in order, on SIGINT to the process group', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'warden-shutdown-'));
    const { env, ports } = await ownStackEnv(dataDir);
    running = await startStack(env, { ownProcessGroup: true });
    const pid = running.child.pid!;

    // Finding 1, on the real process: each of these used to end the worker and with it the stack.
    expect((await rawRequest(ports.http, rawGet('//'))).status).toBe(200);
    expect((await rawRequest(ports.http, rawGet('http://x:99999/healthz'))).status).toBe(400);
    expect((await rawRequest(ports.http, rawGet('/api/v1/abps/%E0%A4%A/history'))).status).toBe(400);
    // Healthy afterwards: every part answers. On a loaded machine one health probe can run past its
    // 5 s limit (a 503 that is still an answer), so it is asked again until healthy, for at most 90 s.
    await expect
      .poll(async () => (await rawRequest(ports.http, rawGet('/healthz'))).status, { timeout: 90_000, interval: 1000 })
      .toBe(200);

    // Finding 3: Ctrl-C is SIGINT to the foreground process group. The worker is also signalled
    // directly, as when it runs on its own: with the SIGTERM `npm start` sends, it sees two signals.
    const worker = childPid(pid, /worker\/main\.ts/);
    process.kill(-pid, 'SIGINT');
    process.kill(worker, 'SIGINT');
    expect(await running.exited).toBe(0);
    const out = running.output();
    expect(out).not.toMatch(/IllegalStateError|Not running\. Current state/);
    expect(out.match(/shutting down, draining the worker/g)).toHaveLength(1);
    // The app first, Temporal last, each stopped once.
    const order = ['warden: warden stopped', 'warden: postgres stopped', 'warden: temporal stopped'].map((line) =>
      out.indexOf(line),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const temporalStopping = out.indexOf('[temporal] Stopping server');
    if (temporalStopping >= 0) expect(temporalStopping).toBeGreaterThan(order[0]!);
    expect(out).not.toMatch(/exited unexpectedly/);
    for (const port of [ports.http, ports.pg, ports.temporal]) expect(await portOpen(port)).toBe(false);
    running = undefined;
  }, 300_000);
});
