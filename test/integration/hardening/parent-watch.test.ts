import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventually } from '../endorsement/helpers';

const runner = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('children of npm start', () => {
  it('stop on their own when npm start is killed outright (their own process group shields them from its signals)', async () => {
    const parent = spawn(process.execPath, [runner, 'test/fixtures/parent-watch-parent.ts'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    parent.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const childPid = Number(
      (await eventually(
        async () => /child (\d+)/.exec(out),
        (m) => m !== null,
        60_000,
      ))![1],
    );
    try {
      expect(alive(childPid)).toBe(true);
      parent.kill('SIGKILL');
      // Re-parented, the child notices within its polling interval and exits.
      await eventually(
        async () => alive(childPid),
        (a) => !a,
        30_000,
      );
      expect(alive(childPid)).toBe(false);
    } finally {
      if (alive(childPid)) process.kill(childPid, 'SIGKILL');
    }
  });
});
