import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portOpen } from '../../../start/child-process';
import { eventually } from '../endorsement/helpers';
import { ownStackEnv, startStack, type RunningStack } from '../../support/stack';

/** Processes whose command line names `dataDir`: the dev server (its SQLite file) and the database. */
function processesOf(dataDir: string): { pid: number; args: string }[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dataDir) && !line.includes('ps -eo'))
    .map((line) => ({ pid: Number.parseInt(line.trim(), 10), args: line.trim() }));
}

describe('npm start killed outright (SIGKILL)', () => {
  let dataDir: string | undefined;
  let running: RunningStack | undefined;
  afterAll(async () => {
    if (running?.child.pid && running.child.exitCode === null) process.kill(-running.child.pid, 'SIGKILL');
    if (dataDir) {
      for (const { pid } of processesOf(dataDir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(dataDir, { recursive: true, force: true });
    }
  });

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
    const open = async () => (await Promise.all([ports.temporal, ports.ui, ports.pg, ports.http].map((p) => portOpen(p)))).filter(Boolean).length;
    expect(await eventually(open, (n) => n === 0, 90_000)).toBe(0);
    expect(await eventually(async () => processesOf(dataDir!), (list) => list.length === 0, 60_000)).toEqual([]);
  }, 300_000);
});
