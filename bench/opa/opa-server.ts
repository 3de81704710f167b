import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPort } from '../../toolchain/child-process';

const POLICY = fileURLToPath(new URL('./warden-policy.rego', import.meta.url));

export interface OpaServer {
  /** POST {"input": action} here: answers {"result": {"allowed", "deny", "escalate"}}. */
  decisionUrl: string;
  /** OPA's process, for CPU accounting. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * `opa run --server` with the Rego version of Warden's decision and the facts of one ABP as its
 * data, decision logs on and written to the console (as a production OPA would ship them; the
 * benchmark reads and drops them).
 */
export async function startOpaServer(binary: string, data: Record<string, unknown>): Promise<OpaServer> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-opa-'));
  await writeFile(join(dir, 'data.json'), JSON.stringify(data));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      'run',
      '--server',
      '--addr',
      `127.0.0.1:${port}`,
      '--log-level',
      'error',
      '--set',
      'decision_logs.console=true',
      POLICY,
      join(dir, 'data.json'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitForPort(port, 30_000);
  return {
    decisionUrl: `http://127.0.0.1:${port}/v1/data/warden/decision`,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
