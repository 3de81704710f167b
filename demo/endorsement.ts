import type pg from 'pg';
import type { WardenContext } from '../client/context';
import { insertAgent } from '../db/endorsement/agents';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import { markSeeded } from '../db/seed-markers';
import { DEFAULT_SETTINGS } from '../domain/endorsement/settings';
import { bundledKernel } from '../domain/kernel/default-kernel';
import { DEFAULT_PROBE_BATTERY } from '../domain/kernel/probe-battery';

export const DEMO_AGENT_ID = 'research-bot';

/**
 * First start on an empty database: the demo agent of the seed scenario with the default kernel.
 * Runs once per installation (remembered in warden_meta), so deleting nothing ever re-seeds.
 */
export async function seedEndorsementDemo(pool: pg.Pool, provenanceKey?: string): Promise<boolean> {
  return withProvenanceTransaction(pool, async (tx) => {
    if (!(await markSeeded(tx, 'seed.endorsement', { agent: DEMO_AGENT_ID }))) return false;
    if (!(await insertAgent(tx, DEMO_AGENT_ID, bundledKernel('default'), DEFAULT_SETTINGS, DEFAULT_PROBE_BATTERY)))
      return false;
    if (provenanceKey) {
      await appendProvenance(tx, provenanceKey, {
        kind: 'agent.created',
        subject: `agent:${DEMO_AGENT_ID}`,
        actor: null,
        payload: { kernel: 'default', version: 1, probeBattery: true, seeded: true },
      });
    }
    return true;
  });
}

/** The endorsement loop's seeder (demo/seed.ts): the demo agent `research-bot`. */
export async function endorsementDemoSeeder(ctx: WardenContext): Promise<string[]> {
  return (await seedEndorsementDemo(ctx.pool, ctx.provenanceKey)) ? [`agent ${DEMO_AGENT_ID} (default kernel)`] : [];
}
