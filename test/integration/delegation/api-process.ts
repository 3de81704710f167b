import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createApiToken } from '../../../db/access/api-tokens';
import { eventually } from '../endorsement/helpers';
import type { IntegrationContext } from '../../support/integration';
import { principal } from './fixtures';

const runner = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

export interface ApiProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * The API in a child process on `ctx`'s database and task queue (test/fixtures/action-check-api.ts),
 * for tests that kill it; resolves with its port once it listens.
 */
export async function apiProcess(ctx: IntegrationContext): Promise<ApiProcess> {
  const child = spawn(process.execPath, [runner, 'test/fixtures/action-check-api.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: ctx.config.databaseUrl,
      WARDEN_PROVENANCE_KEY: ctx.provenanceKey,
      WARDEN_DATA_DIR: ctx.config.dataDir,
      TEMPORAL_ADDRESS: ctx.config.temporal.address,
      TEMPORAL_TASK_QUEUE: ctx.taskQueue,
    },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const match = await eventually(
    async () => /port (\d+)/.exec(out),
    (m) => m !== null,
    60_000,
  );
  return { child, port: Number(match![1]), output: () => out, exited };
}

/**
 * `clients` callers sending requests until `stop` resolves (or the process goes away under them):
 * `send(n)` makes the n-th request and returns its answer's key when it was answered 2xx, null
 * otherwise. Returns the keys answered and how many requests failed.
 */
export async function sendUntil(
  stop: Promise<unknown>,
  send: (n: number) => Promise<string | null>,
  clients = 8,
): Promise<{ answered: string[]; failed: number }> {
  const answered: string[] = [];
  let failed = 0;
  let stopped = false;
  void stop.then(() => (stopped = true));
  let n = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stopped) {
        try {
          const key = await send(n++);
          if (key !== null) answered.push(key);
          else failed += 1;
        } catch {
          failed += 1;
          return;
        }
      }
    }),
  );
  return { answered, failed };
}

/** Resolves once `count()` reaches `n` (the moment a test kills the process with work in flight). */
export const reaches = (count: () => Promise<number>, n: number) => eventually(count, (stored) => stored >= n, 120_000);

/**
 * Runs `test` against an API process of its own with an agent's token, and kills the process
 * afterwards whatever the test did to it.
 */
export async function withAgentApi<T>(
  ctx: IntegrationContext,
  label: string,
  test: (api: ApiProcess, token: string) => Promise<T>,
): Promise<T> {
  const token = (await createApiToken(ctx.pool, { principal: await principal(ctx, 'agent', ['agent']), label })).token;
  const api = await apiProcess(ctx);
  try {
    return await test(api, token);
  } finally {
    api.child.kill('SIGKILL');
  }
}
