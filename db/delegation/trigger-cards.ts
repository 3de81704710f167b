import type { Queryable } from '../pool';
import {
  parseTriggerCondition,
  type TriggerCondition,
  type TriggerKind,
} from '../../domain/delegation/trigger-conditions';
import { readTrigger, type TriggerReading } from '../../domain/delegation/trigger-evaluation';
import type { Abp, DelegationTrigger } from '../../domain/delegation/schema';
import { measureSql, measureTriggerSql, reviewMarks, type MeasureRefs, type ReviewMarks } from './trigger-measures';

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
    const mark = marks.get(trigger.id)!;
    const current = await measureTriggerSql(q, abp.abp_id, condition, { now, since: mark.since });
    cards.push(cardOf(abp, trigger, condition, mark, current));
  }
  return cards;
}

function cardOf(
  abp: Abp,
  trigger: DelegationTrigger,
  condition: TriggerCondition,
  { since, active }: ReviewMarks,
  current: number,
): TriggerCard {
  return {
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
  };
}

/** One trigger's card asked for in a batch: the card, or why its condition cannot be read. */
export type AskedCard = { card: TriggerCard } | { error: unknown };

/** The columns of a row of `asked` (see readTriggerCardsOf) that a measure is written over. */
const ASKED: MeasureRefs = {
  abpId: 'asked.abp_id',
  now: '$2::timestamptz',
  windowDays: 'asked.window_days',
  since: 'm.since',
  coherenceLt: 'asked.coherence_lt',
};
const KINDS: TriggerKind[] = ['recurring_fingerprint', 'blocked_actions', 'coherence_drop', 'expired_claims'];

/**
 * The card of each of `asks` (an ABP and one of its triggers) in one statement however many, where
 * readTriggerCards takes a statement for the review marks and one per trigger: the marks and the
 * count of every asked trigger, each count the same SQL as measureTriggerSql's (measureSql) over
 * the asked row's columns. A trigger whose condition cannot be read gets its error, not the batch.
 */
export async function readTriggerCardsOf(
  q: Queryable,
  asks: readonly { abp: Abp; triggerId: string }[],
  now = new Date(),
): Promise<AskedCard[]> {
  const read = asks.map(({ abp, triggerId }) => {
    const trigger = abp.delegation_review?.triggers.find((t) => t.id === triggerId);
    try {
      if (!trigger) throw new Error(`${abp.abp_id} has no delegation review trigger ${triggerId}`);
      return { abp, trigger, condition: parseTriggerCondition(trigger) };
    } catch (error) {
      return { error };
    }
  });
  const measured = read.flatMap((r, n) => ('error' in r ? [] : [{ n, ...r }]));
  const rows = new Map<
    number,
    { since: Date | null; review_id: string | null; state: string | null; current: number }
  >();
  if (measured.length > 0) {
    const result = await q.query<{
      n: number;
      since: Date | null;
      review_id: string | null;
      state: string | null;
      current: number;
    }>(
      `SELECT asked.n, m.since, a.review_id, a.state,
              (CASE asked.kind ${KINDS.map((k) => `WHEN '${k}' THEN ${measureSql(k, ASKED)}`).join(' ')} END)::int AS current
         FROM jsonb_to_recordset($1::jsonb)
              AS asked(n int, abp_id text, trigger_id text, kind text, window_days int, coherence_lt float8)
         LEFT JOIN LATERAL (
              SELECT c.concluded_at AS since FROM delegation_reviews c
               WHERE c.abp_id = asked.abp_id AND c.trigger_id = asked.trigger_id AND c.state IN ('applied', 'dismissed')
               ORDER BY c.concluded_at DESC LIMIT 1) m ON true
         LEFT JOIN delegation_reviews a
                ON a.abp_id = asked.abp_id AND a.trigger_id = asked.trigger_id AND a.state IN ('queued', 'open')`,
      [
        JSON.stringify(
          measured.map(({ n, abp, trigger, condition }) => ({
            n,
            abp_id: abp.abp_id,
            trigger_id: trigger.id,
            kind: condition.kind,
            window_days: condition.windowDays,
            coherence_lt: condition.kind === 'coherence_drop' ? condition.coherenceLt : null,
          })),
        ),
        now,
      ],
    );
    for (const row of result.rows) rows.set(row.n, row);
  }
  return read.map((r, n) => {
    if ('error' in r) return { error: r.error };
    const row = rows.get(n)!;
    const active = row.review_id ? { reviewId: row.review_id, state: row.state! } : null;
    return { card: cardOf(r.abp, r.trigger, r.condition, { since: row.since, active }, row.current) };
  });
}
