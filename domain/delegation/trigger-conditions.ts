import { z } from 'zod';
import { lookbackDays } from '../input/lookback-days';
import { int4 } from '../input/storable-int';
import { describeIssues } from '../input/field-issues';
import type { DelegationReview, DelegationTrigger } from './schema';

/**
 * The four trigger conditions Warden can evaluate, recognised by their fields (not by trigger
 * id, so an ABP may number its triggers as it likes). Boundaries follow the field names:
 * `_repeats` and `consecutive_runs` are "at least", `_gt` is strictly greater, `_lt` strictly
 * less. `window_days` is honoured by all four (the original ignored it for blocked actions);
 * left out, the window is unbounded.
 */
const windowDays = lookbackDays().optional();

// Counts are compared with SQL counts and bound as int4 parameters.
export const RecurringFingerprintCondition = z.strictObject({
  fingerprint_repeats: int4(1),
  window_days: windowDays,
});
export const BlockedActionsCondition = z.strictObject({
  blocked_count_gt: int4(0),
  window_days: windowDays,
});
export const CoherenceDropCondition = z.strictObject({
  overall_coherence_lt: z.number().min(0).max(100),
  consecutive_runs: int4(1),
  window_days: windowDays,
});
export const ExpiredClaimsCondition = z.strictObject({
  expired_claims_gt: int4(0),
  window_days: windowDays,
});

export type TriggerCondition =
  | { kind: 'recurring_fingerprint'; fingerprintRepeats: number; windowDays: number | null }
  | { kind: 'blocked_actions'; blockedCountGt: number; windowDays: number | null }
  | { kind: 'coherence_drop'; coherenceLt: number; consecutiveRuns: number; windowDays: number | null }
  | { kind: 'expired_claims'; expiredClaimsGt: number; windowDays: number | null };

export type TriggerKind = TriggerCondition['kind'];

export class TriggerConditionError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'TriggerConditionError';
  }
}

/** Reads a trigger's condition into one of the four kinds, or throws naming the field. */
export function parseTriggerCondition(trigger: Pick<DelegationTrigger, 'id' | 'condition'>): TriggerCondition {
  const c = trigger.condition;
  const where = `trigger ${trigger.id} condition`;
  const read = <T extends z.ZodType>(schema: T): z.output<T> => {
    const parsed = schema.safeParse(c);
    if (!parsed.success)
      throw new TriggerConditionError(describeIssues(parsed.error.issues, { whole: '(document)', prefix: where }));
    return parsed.data;
  };
  if ('fingerprint_repeats' in c) {
    const v = read(RecurringFingerprintCondition);
    return {
      kind: 'recurring_fingerprint',
      fingerprintRepeats: v.fingerprint_repeats,
      windowDays: v.window_days ?? null,
    };
  }
  if ('blocked_count_gt' in c) {
    const v = read(BlockedActionsCondition);
    return { kind: 'blocked_actions', blockedCountGt: v.blocked_count_gt, windowDays: v.window_days ?? null };
  }
  if ('overall_coherence_lt' in c) {
    const v = read(CoherenceDropCondition);
    return {
      kind: 'coherence_drop',
      coherenceLt: v.overall_coherence_lt,
      consecutiveRuns: v.consecutive_runs,
      windowDays: v.window_days ?? null,
    };
  }
  if ('expired_claims_gt' in c) {
    const v = read(ExpiredClaimsCondition);
    return { kind: 'expired_claims', expiredClaimsGt: v.expired_claims_gt, windowDays: v.window_days ?? null };
  }
  throw new TriggerConditionError([
    `${where}: unknown condition; expected one of fingerprint_repeats, blocked_count_gt, overall_coherence_lt, expired_claims_gt`,
  ]);
}

/** Problems with a delegation_review section beyond its JSON shape. */
export function checkDelegationReview(review: DelegationReview): string[] {
  const problems: string[] = [];
  const ids = review.triggers.map((t) => t.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (duplicates.length > 0)
    problems.push(`delegation_review.triggers: duplicate id ${[...new Set(duplicates)].join(', ')}`);
  for (const trigger of review.triggers) {
    try {
      parseTriggerCondition(trigger);
    } catch (error) {
      if (error instanceof TriggerConditionError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (review.review_policy.timeout_ms !== null && review.review_policy.timeout_ms < 1) {
    problems.push('delegation_review.review_policy.timeout_ms: must be positive or null');
  }
  return problems;
}
