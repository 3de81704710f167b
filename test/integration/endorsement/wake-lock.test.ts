import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { recordExchange, samplesArrivedWhileFallingAsleep, wakeLock } from '../../../db/endorsement/shadow-samples';
import { useIntegrationContext } from '../../support/integration';
import { eventually, freshAgent } from './helpers';

const ctx = useIntegrationContext('wake-lock');

/** A pool whose transactions stop before their COMMIT until `release` is called. */
function stallingAtCommit(pool: pg.Pool) {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const atCommit = new Promise<void>((r) => (reached = r));
  const stalling = {
    async connect() {
      const client = await pool.connect();
      const query = async (sql: string, params?: unknown[]) => {
        if (sql === 'COMMIT') {
          reached();
          await gate;
        }
        return client.query(sql, params);
      };
      return new Proxy(client, {
        get: (target, prop) => (prop === 'query' ? query : Reflect.get(target, prop, target)),
      });
    },
  } as unknown as pg.Pool;
  return { pool: stalling, atCommit, release: () => release() };
}

describe('the wake flag under concurrent chats', () => {
  it('a scorer lowering the flag waits for a chat still recording and sees its sample (the chat sent no signal)', async () => {
    const agent = await freshAgent(ctx, { samplingRate: 1 });
    const endorsementId = `wake-lock-${randomBytes(4).toString('hex')}`;
    // Staged with its flag up, as while the workflow scores a backlog (no workflow: the store alone).
    await ctx.pool.query(
      `INSERT INTO endorsements (id, agent_id, rule_text, conflict_kind, reason, base_version, settings, state, wake_requested)
       VALUES ($1, $2, 'a rule', 'none', 'a reason', 1, '{"samplingRate": 1}', 'staged', true)`,
      [endorsementId, agent],
    );
    const stalled = stallingAtCommit(ctx.pool);
    const chat = recordExchange(
      stalled.pool,
      { agentId: agent, kernelVersion: 1, prompt: 'What is 2 + 2?', response: '4', model: 'm' },
      0,
    );
    await stalled.atCommit;
    const asleep = samplesArrivedWhileFallingAsleep(ctx.pool, endorsementId);
    try {
      // On a PostgreSQL server the scorer is seen waiting for the wake lock the chat holds (embedded
      // PGlite runs one transaction at a time: there the scorer's first statement waits for the commit).
      if (process.env.DATABASE_URL) {
        const [family, member] = wakeLock(agent, false).key;
        await eventually(
          async () =>
            (
              await ctx.pool.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_locks
                  WHERE locktype = 'advisory' AND NOT granted AND classid::bigint = $1 AND objid::bigint = $2`,
                [family, member >>> 0],
              )
            ).rows[0]!.n,
          (n) => n > 0,
        );
      }
    } finally {
      // Released whatever happens: a chat left stalled would hold its connection through the teardown.
      stalled.release();
    }
    expect((await chat).queued).toEqual([{ endorsementId, wake: false }]);
    expect(await asleep).toBe(true);
    const { rows } = await ctx.pool.query<{ w: boolean }>(
      'SELECT wake_requested AS w FROM endorsements WHERE id = $1',
      [endorsementId],
    );
    expect(rows[0]!.w).toBe(true);
  });
});
