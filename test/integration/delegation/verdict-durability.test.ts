import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createApiToken } from '../../../db/access/api-tokens';
import type { Abp } from '../../../domain/delegation/schema';
import { eventually } from '../endorsement/helpers';
import { useIntegrationContext } from '../../support/integration';
import { buildUniqueAbp, principal, sendExternalEmail } from './fixtures';

const ctx = useIntegrationContext('delegation-verdict-durability');
const runner = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** The API in a child process on this file's database; resolves with its port once it listens. */
async function apiProcess(): Promise<{
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}> {
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
 * Clients checking actions (each with an action id of its own) until `stop` resolves; returns the
 * check ids answered 200 and how many requests failed (the process went away under them).
 */
async function checkUntil(port: number, token: string, abp: Abp, stop: Promise<unknown>, clients = 8) {
  const answered: string[] = [];
  let failed = 0;
  let stopped = false;
  void stop.then(() => (stopped = true));
  let n = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stopped) {
        const action = { ...sendExternalEmail(abp.hash, n), tool: 'ats.read', action_id: `durable-${n++}` };
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/abps/${abp.abp_id}/actions/check`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(action),
          });
          const body = (await res.json()) as { checkId?: string };
          if (res.status === 200 && body.checkId) answered.push(body.checkId);
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

const storedAtLeast = (abp: Abp, n: number) =>
  eventually(
    async () =>
      (
        await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM abp_action_checks WHERE abp_id = $1', [
          abp.abp_id,
        ])
      ).rows[0]!.n,
    (stored) => stored >= n,
    120_000,
  );

const storedIds = async (ids: string[]) =>
  new Set(
    (
      await ctx.pool.query<{ check_id: string }>('SELECT check_id FROM abp_action_checks WHERE check_id = ANY($1)', [
        ids,
      ])
    ).rows.map((r) => r.check_id),
  );

describe('verdicts recorded through the group commit', () => {
  it('SIGKILL of the API process: every verdict it answered is stored', async () => {
    const abp = await buildUniqueAbp(ctx);
    const token = (
      await createApiToken(ctx.pool, { principal: await principal(ctx, 'agent', ['agent']), label: 'kill' })
    ).token;
    const api = await apiProcess();
    try {
      // Killed while checks are in flight: once 150 are stored, with eight clients still sending.
      const killed = storedAtLeast(abp, 150).then(() => api.child.kill('SIGKILL'));
      const { answered, failed } = await checkUntil(api.port, token, abp, api.exited);
      await killed;
      expect(answered.length).toBeGreaterThan(0);
      expect(failed).toBeGreaterThan(0);
      const stored = await storedIds(answered);
      expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      api.child.kill('SIGKILL');
    }
  });

  it('SIGTERM: the queue drains, every answered verdict is stored and the process exits cleanly', async () => {
    const abp = await buildUniqueAbp(ctx);
    const token = (
      await createApiToken(ctx.pool, { principal: await principal(ctx, 'agent', ['agent']), label: 'term' })
    ).token;
    const api = await apiProcess();
    try {
      const termed = storedAtLeast(abp, 100).then(() => api.child.kill('SIGTERM'));
      const { answered } = await checkUntil(api.port, token, abp, api.exited);
      await termed;
      expect(await api.exited).toBe(0);
      expect(api.output()).toContain('drained');
      const stored = await storedIds(answered);
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      api.child.kill('SIGKILL');
    }
  });
});
