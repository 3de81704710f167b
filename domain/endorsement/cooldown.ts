import type { EndorsementSettings } from './settings';

/** Running totals of scored shadow samples; enough to decide without keeping every score. */
export interface EvidenceSummary {
  count: number;
  sum: number;
  max: number;
  critical: number;
  /** Shadows that could not be produced or scored: missing evidence, never a pass. */
  failed: number;
}

export const EMPTY_EVIDENCE: EvidenceSummary = { count: 0, sum: 0, max: 0, critical: 0, failed: 0 };

export function addSample(e: EvidenceSummary, score: number, critical: boolean): EvidenceSummary {
  return {
    ...e,
    count: e.count + 1,
    sum: e.sum + score,
    max: Math.max(e.max, score),
    critical: e.critical + (critical ? 1 : 0),
  };
}

export function meanDivergence(e: EvidenceSummary): number | null {
  return e.count === 0 ? null : e.sum / e.count;
}

/** First cooldown: base plus the no-probe penalty, never beyond max. */
export function initialCooldownSeconds(settings: EndorsementSettings, hasProbeBattery: boolean): number {
  const penalty = hasProbeBattery ? 0 : settings.noProbePenaltySeconds;
  return Math.min(settings.cooldownBaseSeconds + penalty, settings.cooldownMaxSeconds);
}

export type CooldownVerdict =
  | { kind: 'promote'; mean: number }
  | { kind: 'reject'; reason: string }
  | { kind: 'extend'; deadlineMs: number; reason: string }
  | { kind: 'inconclusive'; reason: string };

export interface CooldownState {
  stagedAtMs: number;
  /** Hard limit: stagedAt + max cooldown, moved only by an operator's extension. */
  capMs: number;
  nowMs: number;
  evidence: EvidenceSummary;
}

/**
 * What to do when the cooldown timer fires. Promotion needs enough scored samples, none
 * critical, and a mean below l2. Short evidence extends the cooldown (little traffic means
 * little evidence, so low traffic waits longer) until the cap; at the cap it is inconclusive.
 */
export function evaluateCooldown(settings: EndorsementSettings, state: CooldownState): CooldownVerdict {
  const { evidence } = state;
  if (evidence.critical > 0) return { kind: 'reject', reason: `${evidence.critical} critical shadow sample(s)` };
  const mean = meanDivergence(evidence);
  if (evidence.count >= settings.minSamples) {
    if (mean === null || mean < settings.thresholds.l2) return { kind: 'promote', mean: mean ?? 0 };
    return {
      kind: 'reject',
      reason: `mean divergence ${mean.toFixed(3)} is not below l2 ${settings.thresholds.l2}`,
    };
  }
  const missing = settings.minSamples - evidence.count;
  const shortBy = `${evidence.count} of ${settings.minSamples} samples`;
  if (state.nowMs >= state.capMs) {
    return { kind: 'inconclusive', reason: `cooldown reached its maximum with ${shortBy}` };
  }
  const step = extensionStepMs(settings, state, missing);
  return {
    kind: 'extend',
    deadlineMs: Math.min(state.capMs, state.nowMs + step),
    reason: `evidence short: ${shortBy}`,
  };
}

/**
 * How long to wait for the missing samples: the time the observed traffic needs to supply them,
 * at least a tenth of the base cooldown (so checks do not spin) and at most the base cooldown
 * (so a burst of traffic later is noticed). No traffic at all waits a whole base cooldown.
 */
export function extensionStepMs(settings: EndorsementSettings, state: CooldownState, missing: number): number {
  const baseMs = Math.max(1000, settings.cooldownBaseSeconds * 1000);
  const minStepMs = Math.max(1000, Math.ceil(baseMs / 10));
  const elapsedMs = Math.max(1, state.nowMs - state.stagedAtMs);
  if (state.evidence.count === 0) return baseMs;
  const msPerSample = elapsedMs / state.evidence.count;
  return Math.min(baseMs, Math.max(minStepMs, Math.ceil(msPerSample * missing)));
}

/**
 * Why promoting by hand now would come before the evidence rule (the one the cooldown timer
 * promotes by: cooldown elapsed, at least minSamples scored, none critical, mean below l2); null
 * when the rule is met. A promotion while it is not met is an override: it needs a rationale.
 */
export function promotionShortfall(
  settings: EndorsementSettings,
  state: { deadlineMs: number | null; nowMs: number; evidence: EvidenceSummary },
): string | null {
  const { evidence } = state;
  const reasons: string[] = [];
  if (state.deadlineMs !== null && state.nowMs < state.deadlineMs)
    reasons.push(`cooldown has ${Math.ceil((state.deadlineMs - state.nowMs) / 1000)} s left`);
  if (evidence.count < settings.minSamples) reasons.push(`${evidence.count} of ${settings.minSamples} samples`);
  if (evidence.critical > 0) reasons.push(`${evidence.critical} critical shadow sample(s)`);
  const mean = meanDivergence(evidence);
  if (mean !== null && mean >= settings.thresholds.l2)
    reasons.push(`mean divergence ${mean.toFixed(3)} is not below l2 ${settings.thresholds.l2}`);
  return reasons.length > 0 ? reasons.join('; ') : null;
}
