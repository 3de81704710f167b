import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IntegrationContext } from './integration';

const bin = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON. */
  json: any;
}

/** The environment that points a CLI process at this test file's servers and task queue. */
export function cliEnv(ctx: IntegrationContext, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: ctx.config.temporal.address,
    TEMPORAL_NAMESPACE: ctx.config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: ctx.taskQueue,
    DATABASE_URL: ctx.config.databaseUrl,
    WARDEN_PROVENANCE_KEY: ctx.provenanceKey,
    WARDEN_DATA_DIR: ctx.config.dataDir,
    ...extra,
  };
}

/** Runs `warden …` as a user would, in a separate process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
    child.stdin.end(input ?? '');
  });
}
