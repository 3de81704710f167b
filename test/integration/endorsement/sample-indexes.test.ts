import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SAMPLE_READS } from '../../../db/endorsement/shadow-samples';
import { useIntegrationContext } from '../../support/integration';
import { planOf as planOfOn } from '../../support/query-plan';
import { freshAgent } from './helpers';

const ctx = useIntegrationContext('endorsement-sample-indexes');

const planOf = (sql: string, params: unknown[]) => planOfOn(ctx.pool, sql, params);

describe("a scoring batch's reads by exchange and of the first critical sample (migration 015)", () => {
  it("an exchange's outcomes are read through the index on exchange_id", async () => {
    const plan = await planOf(SAMPLE_READS.outcomesByExchange, ['ex-none']);
    expect(plan).toMatch(/shadow_samples_(pending_)?exchange_idx/);
  });

  it('whether an exchange still has a pending sample is read through an index led by exchange_id, not the status index', async () => {
    const plan = await planOf(SAMPLE_READS.blankUnlogged, [['ex-a', 'ex-b']]);
    expect(plan).toMatch(/shadow_samples_(pending_)?exchange_idx/);
    expect(plan).not.toMatch(/shadow_samples_pending_idx/);
  });

  it("the first critical sample is read from the critical samples' index, not by walking the scored ones", async () => {
    const plan = await planOf(SAMPLE_READS.firstCritical, ['endorsement-none']);
    expect(plan).toMatch(/shadow_samples_critical_idx/);
  });
});

describe('a batch costs the batch, not the queue behind it, with statistics taken while the queue was empty (migration 017)', () => {
  /**
   * An endorsement with scored history, analysed while none of its samples is pending (as
   * autovacuum usually finds a queue), then a queue of pending samples: the planner now expects
   * almost no pending sample, which is when it walked every pending sample of every endorsement
   * (migration 015's pending-by-exchange index), joined each to its exchange and sorted them.
   */
  async function queueAfterAnEmptyAnalyze(): Promise<{ endorsementId: string; seqs: string[] }> {
    const agent = await freshAgent(ctx, { samplingRate: 1 });
    const endorsementId = `sample-queue-${randomBytes(4).toString('hex')}`;
    await ctx.pool.query(
      `INSERT INTO endorsements (id, agent_id, rule_text, conflict_kind, reason, base_version, settings, state)
       VALUES ($1, $2, 'a rule', 'none', 'a reason', 1, '{"samplingRate": 1}', 'staged')`,
      [endorsementId, agent],
    );
    const write = async (from: number, to: number, status: 'scored' | 'pending') => {
      await ctx.pool.query(
        `INSERT INTO chat_exchanges (id, agent_id, kernel_version, prompt, response, model)
         SELECT $2 || '-' || g, $1, 1, 'p', 'r', 'm' FROM generate_series($3::int, $4::int) g`,
        [agent, endorsementId, from, to],
      );
      await ctx.pool.query(
        `INSERT INTO shadow_samples (endorsement_id, exchange_id, status)
         SELECT $1, $1 || '-' || g, $4 FROM generate_series($2::int, $3::int) g ORDER BY g`,
        [endorsementId, from, to, status],
      );
    };
    await write(1, 400, 'scored');
    await ctx.pool.query('ANALYZE shadow_samples');
    await write(401, 800, 'pending');
    const { rows } = await ctx.pool.query<{ seq: string }>(
      `SELECT seq FROM shadow_samples WHERE endorsement_id = $1 AND status = 'pending' ORDER BY seq LIMIT 25`,
      [endorsementId],
    );
    return { endorsementId, seqs: rows.map((r) => r.seq) };
  }

  it("the batch is read as an ordered range of the endorsement's queue that stops at the batch (no sort of the queue)", async () => {
    const { endorsementId } = await queueAfterAnEmptyAnalyze();
    const plan = await planOf(SAMPLE_READS.pendingBatch, [endorsementId, 25]);
    expect(plan).toMatch(/Index Scan using shadow_samples_queue_idx on shadow_samples/);
    expect(plan).toMatch(/Index Cond: \(endorsement_id = /);
    expect(plan).not.toMatch(/Sort/);
    expect(plan).not.toMatch(/shadow_samples_pending_exchange_idx/);
  });

  it("the scoring UPDATE walks the batch's seq range of the queue, not the queue", async () => {
    const { endorsementId, seqs } = await queueAfterAnEmptyAnalyze();
    const n = seqs.length;
    const plan = await planOf(SAMPLE_READS.scoreBatch, [
      endorsementId,
      seqs.map((_, i) => `${endorsementId}-${401 + i}`),
      Array<string>(n).fill('scored'),
      Array<string>(n).fill('a shadow answer'),
      Array<string>(n).fill('m'),
      Array<number>(n).fill(0.01),
      Array<number>(n).fill(0.1),
      Array<string>(n).fill('aligned'),
      Array<boolean>(n).fill(false),
      Array<null>(n).fill(null),
      Array<null>(n).fill(null),
      Array<number>(n).fill(1),
      seqs[0],
      seqs[n - 1],
    ]);
    expect(plan).toMatch(
      /using shadow_samples_(queue_idx|pkey) on shadow_samples s[\s\S]*Index Cond: \(\(endorsement_id = [^\n]*seq >= [^\n]*seq <= |using shadow_samples_pkey on shadow_samples s[\s\S]*Index Cond: \(\(endorsement_id = [^\n]*exchange_id = /,
    );
    expect(plan).not.toMatch(/shadow_samples_pending_exchange_idx/);
  });

  it("the probes by exchange and of the first critical sample keep to their indexes, not the queue's", async () => {
    const { endorsementId } = await queueAfterAnEmptyAnalyze();
    const blank = await planOf(SAMPLE_READS.blankUnlogged, [[`${endorsementId}-401`, `${endorsementId}-402`]]);
    expect(blank).toMatch(/shadow_samples_exchange_idx/);
    expect(blank).not.toMatch(/shadow_samples_queue_idx/);
    const critical = await planOf(SAMPLE_READS.firstCritical, [endorsementId]);
    expect(critical).toMatch(/shadow_samples_critical_idx/);
  });

  it('whether samples are left is counted up to the limit asked, through the queue index', async () => {
    const { endorsementId } = await queueAfterAnEmptyAnalyze();
    const plan = await planOf(SAMPLE_READS.pendingCount, [endorsementId, 1]);
    expect(plan).toMatch(/Limit/);
    expect(plan).toMatch(/shadow_samples_queue_idx/);
    const { rows } = await ctx.pool.query<{ pending: string }>(SAMPLE_READS.pendingCount, [endorsementId, 1]);
    expect(Number(rows[0]!.pending)).toBe(1);
    const all = await ctx.pool.query<{ pending: string }>(SAMPLE_READS.pendingCount, [endorsementId, null]);
    expect(Number(all.rows[0]!.pending)).toBe(400);
  });
});
