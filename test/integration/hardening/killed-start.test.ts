import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portOpen } from '../../../toolchain/child-process';
import { eventually } from '../endorsement/helpers';
import { ownStackEnv } from '../../../start/own-stack-env';
import { processesOf, removeStack, startStack, type RunningStack } from '../../support/stack';

describe('npm start killed outright (SIGKILL)', () => {
  let dataDir: string | undefined;
  let running: RunningStack | undefined;
  afterAll(() => removeStack(running, dataDir));

  it('leaves nothing running: the Temporal dev server stops with the worker and the database, and frees its port', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'warden-killed-'));
    const { env, ports } = await ownStackEnv(dataDir);
    running = await startStack(env, { ownProcessGroup: true });
    expect(processesOf(dataDir).some((p) => /server start-dev/.test(p.args))).toBe(true);
    expect(await portOpen(ports.temporal)).toBe(true);

    // npm start alone, as `kill -9 <pid>` does: its children run in groups of their own.
    running.child.kill('SIGKILL');
    await running.exited;
    running = undefined;

    // Each notices within its polling interval; the limit only bounds a broken run.
    const open = async () =>
      (await Promise.all([ports.temporal, ports.ui, ports.pg, ports.http].map((p) => portOpen(p)))).filter(Boolean)
        .length;
    expect(await eventually(open, (n) => n === 0, 90_000)).toBe(0);
    expect(
      await eventually(
        async () => processesOf(dataDir!),
        (list) => list.length === 0,
        60_000,
      ),
    ).toEqual([]);
  }, 300_000);
});
