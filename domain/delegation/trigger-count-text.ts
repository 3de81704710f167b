import type { TriggerKind } from './trigger-conditions';
import type { TriggerReading } from './trigger-evaluation';

/** What each kind of trigger counts, as a person says it after the number. */
const COUNTED: Record<TriggerKind, string> = {
  recurring_fingerprint: 'repeats of one drift fingerprint',
  blocked_actions: 'blocked',
  coherence_drop: 'low-coherence runs in a row',
  expired_claims: 'expired claims',
};

/**
 * A trigger's reading as a sentence ("3 blocked in 30d, threshold 4, trips above it") rather than
 * the comparison it is evaluated with ("3 > 4 in 30d" reads as a statement that is false).
 */
export function triggerCountText(
  card: Pick<TriggerReading, 'current' | 'threshold' | 'comparator'> & { kind: TriggerKind; windowDays: number | null },
): string {
  const window = card.windowDays ? ` in ${card.windowDays}d` : '';
  const trips = card.comparator === '>' ? 'trips above it' : 'trips when reached';
  return `${card.current} ${COUNTED[card.kind]}${window}, threshold ${card.threshold} (${trips})`;
}
