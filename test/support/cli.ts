import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runProcess } from '../../toolchain/run-process';
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
export async function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  const r = await runProcess(process.execPath, [bin, ...args], { env, input: input ?? '' });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/**
 * A CLI call that must be refused: its exit code (1 refused, 2 bad input) and the error its --json
 * output names (a string must be the whole message, a pattern matches in it).
 */
export function expectRefused(r: CliResult, code: 1 | 2, error: RegExp | string): void {
  expect(r.code, r.stdout + r.stderr).toBe(code);
  if (typeof error === 'string') expect(r.json?.error).toBe(error);
  else expect(r.json?.error).toMatch(error);
}
