import type { TriggerCondition } from './trigger-conditions';

/**
 * The evaluators' counting rules over in-memory evidence. The database evaluators
 * (db/delegation/trigger-measures.ts) do the same in indexed SQL; these define the semantics and
 * let the boundaries be tested without a database.
 *
 * Evidence counts when it falls inside the window (at or after now − window_days; no window when
 * window_days is absent) and strictly after `since`, the end of the last concluded review of the
 * same ABP and trigger, so a concluded review does not trip again on the evidence it handled.
 */
export interface EvidenceScope {
  now: number;
  /** Epoch ms the last review of this ABP and trigger concluded, or null. */
  since: number | null;
}

export const DAY_MS = 86_400_000;

export function windowStart(condition: TriggerCondition, now: number): number | null {
  return condition.windowDays === null ? null : now - condition.windowDays * DAY_MS;
}

function counts(at: number, condition: TriggerCondition, scope: EvidenceScope): boolean {
  const start = windowStart(condition, scope.now);
  if (start !== null && at < start) return false;
  if (scope.since !== null && at <= scope.since) return false;
  return at <= scope.now;
}

export interface SignalEvidence {
  fingerprintKey: string;
  observedAt: number;
}
export interface BlockEvidence {
  irreversible: boolean;
  blocked: boolean;
  checkedAt: number;
}
export interface RunEvidence {
  score: number;
  observedAt: number;
}
export interface ClaimEvidence {
  expiresAt: number;
}

export type Evidence = {
  signals: SignalEvidence[];
  blocks: BlockEvidence[];
  runs: RunEvidence[];
  claims: ClaimEvidence[];
};

/** The trigger's current count: what `readTrigger` compares with the threshold. */
export function measureTrigger(condition: TriggerCondition, evidence: Evidence, scope: EvidenceScope): number {
  switch (condition.kind) {
    case 'recurring_fingerprint': {
      const perKey = new Map<string, number>();
      for (const s of evidence.signals) {
        if (counts(s.observedAt, condition, scope))
          perKey.set(s.fingerprintKey, (perKey.get(s.fingerprintKey) ?? 0) + 1);
      }
      return Math.max(0, ...perKey.values());
    }
    case 'blocked_actions':
      return evidence.blocks.filter((b) => b.irreversible && b.blocked && counts(b.checkedAt, condition, scope)).length;
    case 'coherence_drop': {
      // The newest runs first: the streak of consecutive runs below the bar, ended by any run at or above it.
      const runs = evidence.runs
        .filter((r) => counts(r.observedAt, condition, scope))
        .sort((a, b) => b.observedAt - a.observedAt);
      let streak = 0;
      for (const run of runs) {
        if (run.score >= condition.coherenceLt) break;
        streak += 1;
      }
      return streak;
    }
    case 'expired_claims':
      return evidence.claims.filter((c) => counts(c.expiresAt, condition, scope)).length;
  }
}
