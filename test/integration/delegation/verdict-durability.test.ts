import { describe, expect, it } from 'vitest';
import type { Abp } from '../../../domain/delegation/schema';
import { useIntegrationContext } from '../../support/integration';
import { reaches, sendUntil, withAgentApi } from './api-process';
import { buildUniqueAbp, sendExternalEmail } from './fixtures';

const ctx = useIntegrationContext('delegation-verdict-durability');

/**
 * Clients checking actions (each with an action id of its own) until `stop` resolves; returns the
 * check ids answered 200 and how many requests failed (the process went away under them).
 */
const checkUntil = (port: number, token: string, abp: Abp, stop: Promise<unknown>) =>
  sendUntil(stop, async (n) => {
    const action = { ...sendExternalEmail(abp.hash, n), tool: 'ats.read', action_id: `durable-${n}` };
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/abps/${abp.abp_id}/actions/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(action),
    });
    const body = (await res.json()) as { checkId?: string };
    return res.status === 200 && body.checkId ? body.checkId : null;
  });

const storedAtLeast = (abp: Abp, n: number) =>
  reaches(
    async () =>
      (
        await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM abp_action_checks WHERE abp_id = $1', [
          abp.abp_id,
        ])
      ).rows[0]!.n,
    n,
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
    await withAgentApi(ctx, 'kill', async (api, token) => {
      // Killed while checks are in flight: once 150 are stored, with eight clients still sending.
      const killed = storedAtLeast(abp, 150).then(() => api.child.kill('SIGKILL'));
      const { answered, failed } = await checkUntil(api.port, token, abp, api.exited);
      await killed;
      expect(answered.length).toBeGreaterThan(0);
      expect(failed).toBeGreaterThan(0);
      const stored = await storedIds(answered);
      expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    });
  });

  it('SIGTERM: the queue drains, every answered verdict is stored and the process exits cleanly', async () => {
    const abp = await buildUniqueAbp(ctx);
    await withAgentApi(ctx, 'term', async (api, token) => {
      const termed = storedAtLeast(abp, 100).then(() => api.child.kill('SIGTERM'));
      const { answered } = await checkUntil(api.port, token, abp, api.exited);
      await termed;
      expect(await api.exited).toBe(0);
      expect(api.output()).toContain('drained');
      const stored = await storedIds(answered);
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    });
  });
});
