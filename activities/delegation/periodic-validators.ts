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
 *
 * The facts are read without the provenance chain's lock: most passes fire nothing, and a pass that
 * held the lock while it read (as every pass did) stalled every provenance writer behind it, the
 * intake flushes among them, several times a second under a stream of writes. Recording is keyed by
 * validator and day (ON CONFLICT DO NOTHING), so a pass that fires takes the lock only to record,
 * and two passes that both fire record once.
 */
export async function runPeriodicValidators(
  deps: { pool: pg.Pool; provenanceKey: string },
  current: CurrentAbp,
  abp: Abp,
  now = new Date(),
): Promise<ActionVerdict> {
  const abpId = abp.abp_id;
  const verdict = checkPeriodic(await factsFor(deps.pool, abpId, abp, current, now));
  const fired = groupBy(firedEscalations(verdict), (f) => f.trigger);
  if (fired.size === 0) return verdict;
  const day = now.toISOString().slice(0, 10);
  await withProvenanceTransaction(deps.pool, async (tx) => {
    for (const [validator, escalations] of fired) {
      await recordEscalations(tx, deps.provenanceKey, {
        abpId,
        source: 'validator',
        reference: `${abpId}/periodic/${validator}/${day}`,
        subject: `abp:${abpId}`,
        fired: escalations,
      });
    }
  });
  return verdict;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
