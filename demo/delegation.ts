import { storeBuiltAbp } from '../client/abp-build';
import { exportSinkFor } from '../client/export-sink';
import type { WardenContext } from '../client/context';
import { DELEGATION_MONITOR_SCHEDULE, ensureDelegationMonitorSchedule } from '../client/delegation';
import { markSeeded, seedMarked } from '../db/seed-markers';
import { demoAbp } from './delegation-abp';

/**
 * First start on an empty database: the demo ABP (DRT-001..004 and the seed's review policy)
 * with its exports, once per installation; and the monitor Schedule (a seeder of demo/seed.ts).
 */
export async function seedDelegationDemo(ctx: WardenContext): Promise<string[]> {
  const created: string[] = [];
  if (!(await seedMarked(ctx.pool, 'seed.delegation'))) {
    // Storing is idempotent, so two processes starting together both succeed; the marker then
    // keeps a later start from resurrecting a demo ABP someone has since revoked or replaced.
    const stored = await storeBuiltAbp(
      { pool: ctx.pool, provenanceKey: ctx.provenanceKey, exports: exportSinkFor(ctx.config, ctx.pool) },
      demoAbp(),
      { source: 'seed', actor: null },
    );
    await markSeeded(ctx.pool, 'seed.delegation', { abp_id: stored.abp.abp_id, abp_hash: stored.abp.hash });
    created.push(`demo ABP ${stored.abp.abp_id} (${stored.exports.length} exports)`);
  }
  if (await ensureDelegationMonitorSchedule(ctx)) created.push(`schedule ${DELEGATION_MONITOR_SCHEDULE}`);
  return created;
}
