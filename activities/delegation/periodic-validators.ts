import { withProvenanceTransaction } from '../../db/provenance/log';
import type pg from 'pg';
import { factsFor } from '../../db/delegation/action-facts';
import type { CurrentAbp } from '../../db/delegation/abps';
import { firedEscalations, recordEscalations } from '../../db/delegation/escalations';
import type { Abp } from '../../domain/delegation/schema';
import { checkPeriodic, type ActionVerdict } from '../../domain/delegation/validators';

/**
 * The monitor's periodic validators for one active ABP. An escalation fires at most once per ABP,
 * validator and UTC day, however often the monitor runs.
 */
export async function runPeriodicValidators(
  deps: { pool: pg.Pool; provenanceKey: string },
  current: CurrentAbp,
  abp: Abp,
  now = new Date(),
): Promise<ActionVerdict> {
  const abpId = abp.abp_id;
  return withProvenanceTransaction(deps.pool, async (tx) => {
    const verdict = checkPeriodic(await factsFor(tx, abpId, abp, current, now));
    const day = now.toISOString().slice(0, 10);
    for (const [validator, fired] of groupBy(firedEscalations(verdict), (f) => f.trigger)) {
      await recordEscalations(tx, deps.provenanceKey, {
        abpId,
        source: 'validator',
        reference: `${abpId}/periodic/${validator}/${day}`,
        subject: `abp:${abpId}`,
        fired,
      });
    }
    return verdict;
  });
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
