import { describe, expect, it } from 'vitest';
import { chat, endorseRule } from '../../../client/endorsement';
import { evidenceOf } from '../../../db/endorsement/shadow-samples';
import { useIntegrationContext } from '../../support/integration';
import { BENIGN, eventually, freshAgent, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-evidence-totals');

/** The evidence re-aggregated from every sample: what the running totals must always equal. */
async function aggregated(endorsementId: string) {
  const { rows } = await ctx.pool.query<{
    count: number;
    sum: number;
    max: number | null;
    critical: number;
    failed: number;
  }>(
    `SELECT count(*) FILTER (WHERE status = 'scored')::int AS count, coalesce(sum(divergence) FILTER (WHERE status = 'scored'), 0) AS sum,
            max(divergence) FILTER (WHERE status = 'scored') AS max, count(*) FILTER (WHERE status = 'scored' AND critical)::int AS critical,
            count(*) FILTER (WHERE status = 'failed')::int AS failed
       FROM shadow_samples WHERE endorsement_id = $1`,
    [endorsementId],
  );
  return rows[0]!;
}

const totalsRow = async (endorsementId: string) =>
  (
    await ctx.pool.query<{ scored: number }>('SELECT scored FROM shadow_evidence_totals WHERE endorsement_id = $1', [
      endorsementId,
    ])
  ).rows[0];

describe('running totals of shadow evidence', () => {
  it('are kept by the scoring statement, equal the samples re-aggregated, and follow an edited sample', async () => {
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 3000, cooldownMaxSeconds: 3600, samplingRate: 1 });
    const alice = await operator(ctx);
    const r = await endorseRule(ctx, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
    for (const message of BENIGN) await chat(ctx, agent, message);
    const ev = await eventually(
      () => evidenceOf(ctx.pool, r.endorsementId),
      (e) => e.pending === 0 && e.count >= BENIGN.length,
    );
    const all = await aggregated(r.endorsementId);
    expect(ev).toMatchObject({ count: all.count, critical: all.critical, failed: all.failed, max: all.max ?? 0 });
    expect(ev.sum).toBeCloseTo(all.sum, 9);
    expect((await totalsRow(r.endorsementId))?.scored).toBe(all.count);

    // Someone edits a scored sample by hand: that endorsement is re-aggregated, not patched by a delta.
    await ctx.pool.query(
      `UPDATE shadow_samples SET divergence = 0.42 WHERE endorsement_id = $1 AND status = 'scored'
         AND exchange_id = (SELECT exchange_id FROM shadow_samples WHERE endorsement_id = $1 AND status = 'scored' ORDER BY seq LIMIT 1)`,
      [r.endorsementId],
    );
    const edited = await evidenceOf(ctx.pool, r.endorsementId);
    const now = await aggregated(r.endorsementId);
    expect(edited.max).toBe(now.max);
    expect(edited.sum).toBeCloseTo(now.sum, 9);
    expect(edited.max).toBeGreaterThanOrEqual(0.42);
  });
});
