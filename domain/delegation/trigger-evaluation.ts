import type { TriggerCondition } from './trigger-conditions';

export type TriggerState = 'clear' | 'armed' | 'tripped';

export interface TriggerReading {
  state: TriggerState;
  current: number;
  threshold: number;
  /** ">=" for `_repeats`/`consecutive_runs`, ">" for `_gt`. */
  comparator: '>=' | '>';
  /** min(100, round(current / threshold * 100)), as the original's progress bars. */
  progress: number;
}

/** Below this share of the threshold a trigger is clear; from it until it trips, armed. */
export const ARMED_FROM_PERCENT = 60;

export function thresholdOf(condition: TriggerCondition): { threshold: number; comparator: '>=' | '>' } {
  switch (condition.kind) {
    case 'recurring_fingerprint':
      return { threshold: condition.fingerprintRepeats, comparator: '>=' };
    case 'blocked_actions':
      return { threshold: condition.blockedCountGt, comparator: '>' };
    case 'coherence_drop':
      return { threshold: condition.consecutiveRuns, comparator: '>=' };
    case 'expired_claims':
      return { threshold: condition.expiredClaimsGt, comparator: '>' };
  }
}

/** Turns a measured count into the trigger's state and progress. */
export function readTrigger(condition: TriggerCondition, current: number): TriggerReading {
  const { threshold, comparator } = thresholdOf(condition);
  const tripped = comparator === '>=' ? current >= threshold : current > threshold;
  const progress = threshold === 0 ? (current > 0 ? 100 : 0) : Math.min(100, Math.round((current / threshold) * 100));
  const state: TriggerState = tripped ? 'tripped' : progress >= ARMED_FROM_PERCENT ? 'armed' : 'clear';
  return { state, current, threshold, comparator, progress };
}
