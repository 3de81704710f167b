import { describe, expect, it } from 'vitest';
import { SAMPLE_READS } from '../../../db/endorsement/shadow-samples';
import { withTransaction } from '../../../db/pool';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('endorsement-sample-indexes');

/**
 * The plan of `sql` with sequential scans priced out (SET LOCAL, rolled back): the planner then
 * shows which index it would walk, whatever few rows the test database holds, which is what the
 * plan becomes once a million scored samples make a sequential scan too dear.
 */
async function planOf(sql: string, params: unknown[]): Promise<string> {
  let plan = '';
  await withTransaction(ctx.pool, async (tx) => {
    await tx.query('SET LOCAL enable_seqscan = off');
    const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    // EXPLAIN without ANALYZE runs nothing; rolled back all the same, so the setting never leaks.
    throw new Rollback();
  }).catch((error: unknown) => {
    if (!(error instanceof Rollback)) throw error;
  });
  return plan;
}
class Rollback extends Error {}

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
