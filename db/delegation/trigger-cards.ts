import type { Queryable } from '../pool';
import { parseTriggerCondition, type TriggerKind } from '../../domain/delegation/trigger-conditions';
import { readTrigger, type TriggerReading } from '../../domain/delegation/trigger-evaluation';
import type { Abp } from '../../domain/delegation/schema';
import { measureTriggerSql, reviewMarks } from './trigger-measures';

/** One card per trigger, as the original's Delegation tab showed them, plus the active review. */
export interface TriggerCard extends TriggerReading {
  abpId: string;
  triggerId: string;
  name: string;
  kind: TriggerKind;
  severity: 'warn' | 'critical';
  autoOpen: boolean;
  windowDays: number | null;
  /** Evidence before this instant was handled by the last applied or dismissed review. */
  countingSince: string | null;
  activeReview: { reviewId: string; state: string } | null;
}

/** Every trigger's card, or only the one of `triggerId`. */
export async function readTriggerCards(
  q: Queryable,
  abp: Abp,
  now = new Date(),
  triggerId?: string,
): Promise<TriggerCard[]> {
  const triggers = (abp.delegation_review?.triggers ?? []).filter((t) => triggerId === undefined || t.id === triggerId);
  if (triggers.length === 0) return [];
  const marks = await reviewMarks(
    q,
    abp.abp_id,
    triggers.map((t) => t.id),
  );
  const cards: TriggerCard[] = [];
  for (const trigger of triggers) {
    const condition = parseTriggerCondition(trigger);
    const { since, active } = marks.get(trigger.id)!;
    const current = await measureTriggerSql(q, abp.abp_id, condition, { now, since });
    cards.push({
      abpId: abp.abp_id,
      triggerId: trigger.id,
      name: trigger.name,
      kind: condition.kind,
      severity: trigger.severity,
      autoOpen: trigger.auto_open,
      windowDays: condition.windowDays,
      countingSince: since ? since.toISOString() : null,
      activeReview: active,
      ...readTrigger(condition, current),
    });
  }
  return cards;
}
