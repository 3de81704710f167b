import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { PARENT_PID_VARIABLE } from './parent-watch';

export interface ManagedChild {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
  /** It leads a process group of its own, with whatever it runs in turn. */
  ownProcessGroup: boolean;
}

/**
 * Spawns a child whose output lines are prefixed with its name, so one terminal shows all. With
 * `ownProcessGroup` the child leads a process group of its own: a Ctrl-C at the terminal then goes
 * to the parent alone, and the parent decides the order in which its children stop.
 */
export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  opts: { ownProcessGroup?: boolean } = {},
): ManagedChild {
  const own = opts.ownProcessGroup === true;
  // A child in a group of its own learns who its parent is, to stop when it is gone (parent-watch.ts).
  const childEnv = own ? { ...env, [PARENT_PID_VARIABLE]: String(process.pid) } : env;
  const child = spawn(command, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: own });
  const prefix = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) stream.write(`[${name}] ${line}\n`);
  };
  child.stdout?.on('data', prefix(process.stdout));
  child.stderr?.on('data', prefix(process.stderr));
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(-1));
  });
  return { name, process: child, exited, ownProcessGroup: own };
}

/**
 * SIGKILL for a child and, when it leads a group of its own, for everything in that group: a
 * child killed outright cannot stop what it runs (the tether's Temporal dev server).
 */
export function killChild(child: ManagedChild): void {
  try {
    if (child.ownProcessGroup && child.process.pid) process.kill(-child.process.pid, 'SIGKILL');
    else child.process.kill('SIGKILL');
  } catch {
    // already gone
  }
}

/** Asks a child to stop, and kills it (and its group) if it has not within `graceMs`. */
export async function stopChild(child: ManagedChild, graceMs: number): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => killChild(child), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Ports picked here: below the range the OS hands out (32768 up on Linux) and within a smallint. */
const PICK_FROM = 20_000;
const PICK_TO = 32_767;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A TCP port nothing listens on right now, for a server started next: one at random from 20000 to
 * 32767 that can be listened on. Not one the OS picks (listening on port 0): the OS hands the
 * ports of its range to outgoing connections too, so on a loaded test machine, with thousands of
 * connections made each minute, a port picked and released that way could be taken by one before
 * the server bound it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = PICK_FROM + Math.floor(Math.random() * (PICK_TO - PICK_FROM + 1));
    if (await canListen(port)) return port;
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function waitForPort(port: number, timeoutMs: number, child?: ManagedChild): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return;
    if (child && child.process.exitCode !== null)
      throw new Error(`${child.name} exited (code ${child.process.exitCode}) before listening on ${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs / 1000} s`);
}

/** Waits for the child to print a line matching `ready` on stdout (it has no port to wait for). */
export function waitForLine(child: ManagedChild, ready: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => finish(new Error(`${child.name} did not print ${ready} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      if (lines.some((line) => ready.test(line))) finish();
    };
    const onExit = (code: number | null) =>
      finish(new Error(`${child.name} exited (code ${code}) before it was ready`));
    function finish(error?: Error) {
      clearTimeout(timer);
      child.process.stdout?.off('data', onData);
      child.process.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    child.process.stdout?.on('data', onData);
    child.process.once('exit', onExit);
  });
}

/**
 * `count` consecutive ports nothing listens on, from 20000 to 32767 (as freePort's): below the
 * range the OS hands out and within a smallint, where the Temporal server stores its membership
 * ports. `taken` keeps one caller's picks apart before anything listens.
 */
export async function freePortRange(count: number, taken: Set<number> = new Set()): Promise<number> {
  for (;;) {
    const base = PICK_FROM + Math.floor(Math.random() * (PICK_TO - PICK_FROM + 2 - count));
    const range = Array.from({ length: count }, (_, i) => base + i);
    if (range.some((p) => taken.has(p))) continue;
    if ((await Promise.all(range.map((p) => portOpen(p)))).some(Boolean)) continue;
    for (const p of range) taken.add(p);
    return base;
  }
}
