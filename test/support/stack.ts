import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const runner = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface RunningStack {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * `npm start` as a user runs it (start/main.ts), resolved once it prints that Warden is up. With
 * `ownProcessGroup` it leads a process group, as a command at a terminal does, so a test can send
 * the group what Ctrl-C sends (`process.kill(-child.pid, 'SIGINT')`).
 */
export function startStack(env: NodeJS.ProcessEnv, opts: { ownProcessGroup?: boolean } = {}): Promise<RunningStack> {
  const child = spawn(process.execPath, [runner, 'start/main.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup === true,
  });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('Warden is up.')) resolve({ child, output: () => text, exited });
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    void exited.then((code) => reject(new Error(`start exited with ${code} before it was up:\n${text.slice(-3000)}`)));
  });
}

/** Processes whose command line names `dataDir`: the tethered dev server (its SQLite file) and the database. */
export function processesOf(dataDir: string): { pid: number; args: string }[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dataDir))
    .map((line) => ({ pid: Number.parseInt(line.trim(), 10), args: line.trim() }));
}

/**
 * After a test of `npm start`, whatever happened: its group first; its children run in groups of
 * their own and are found by the data directory on their command lines. Then the directory goes.
 */
export async function removeStack(running: RunningStack | undefined, dataDir: string | undefined): Promise<void> {
  if (running?.child.pid && running.child.exitCode === null) process.kill(-running.child.pid, 'SIGKILL');
  if (!dataDir) return;
  for (const { pid } of processesOf(dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(dataDir, { recursive: true, force: true });
}
