import { describe, expect, it } from 'vitest';
import {
  addSample,
  EMPTY_EVIDENCE,
  evaluateCooldown,
  initialCooldownSeconds,
  meanDivergence,
  promotionShortfall,
  type EvidenceSummary,
} from '../../../domain/endorsement/cooldown';
import { DEFAULT_SETTINGS, mergeSettings } from '../../../domain/endorsement/settings';

function evidence(scores: number[], criticalAt: number[] = []): EvidenceSummary {
  return scores.reduce((e, s, i) => addSample(e, s, criticalAt.includes(i)), EMPTY_EVIDENCE);
}

describe('initial cooldown', () => {
  it('is base plus the no-probe penalty when the agent has no probe battery', () => {
    expect(initialCooldownSeconds(DEFAULT_SETTINGS, false)).toBe(300 + 120);
  });
  it('is the base alone with a probe battery', () => {
    expect(initialCooldownSeconds(DEFAULT_SETTINGS, true)).toBe(300);
  });
  it('never exceeds the max', () => {
    const s = mergeSettings(DEFAULT_SETTINGS, { cooldownBaseSeconds: 500, cooldownMaxSeconds: 550 });
    expect(initialCooldownSeconds(s, false)).toBe(550);
    expect(initialCooldownSeconds(s, true)).toBe(500);
  });
});

describe('evaluateCooldown', () => {
  const s = mergeSettings(DEFAULT_SETTINGS, { minSamples: 4, cooldownBaseSeconds: 100, cooldownMaxSeconds: 1000 });
  const stagedAtMs = 1_000_000;
  const capMs = stagedAtMs + 1_000_000;

  it('promotes with enough samples, none critical, mean below l2', () => {
    const v = evaluateCooldown(s, {
      stagedAtMs,
      capMs,
      nowMs: stagedAtMs + 100_000,
      evidence: evidence([0.1, 0.2, 0.29, 0.3]),
    });
    expect(v.kind).toBe('promote');
    if (v.kind === 'promote') expect(v.mean).toBeCloseTo(0.2225, 6);
  });

  it('rejects when the mean equals l2 exactly (mean must be strictly below)', () => {
    const v = evaluateCooldown(s, {
      stagedAtMs,
      capMs,
      nowMs: stagedAtMs + 100_000,
      evidence: evidence([0.3, 0.3, 0.3, 0.3]),
    });
    expect(v.kind).toBe('reject');
  });

  it('rejects when any sample was critical, even with a low mean', () => {
    const v = evaluateCooldown(s, {
      stagedAtMs,
      capMs,
      nowMs: stagedAtMs + 100_000,
      evidence: evidence([0, 0, 0, 0.6], [3]),
    });
    expect(v.kind).toBe('reject');
  });

  it('extends with one sample short, by the time the observed traffic needs', () => {
    // 3 samples in 100 s = 33.3 s per sample; 1 missing -> 33.4 s, above the 10 s minimum step.
    const nowMs = stagedAtMs + 100_000;
    const v = evaluateCooldown(s, { stagedAtMs, capMs, nowMs, evidence: evidence([0.1, 0.1, 0.1]) });
    expect(v.kind).toBe('extend');
    if (v.kind === 'extend') expect(v.deadlineMs).toBe(nowMs + 33_334);
  });

  it('extends by a whole base cooldown when there was no traffic at all (low traffic waits longer)', () => {
    const nowMs = stagedAtMs + 100_000;
    const idle = evaluateCooldown(s, { stagedAtMs, capMs, nowMs, evidence: EMPTY_EVIDENCE });
    const busy = evaluateCooldown(s, { stagedAtMs, capMs, nowMs, evidence: evidence([0.1, 0.1, 0.1]) });
    expect(idle.kind).toBe('extend');
    if (idle.kind === 'extend' && busy.kind === 'extend') {
      expect(idle.deadlineMs).toBe(nowMs + 100_000);
      expect(idle.deadlineMs).toBeGreaterThan(busy.deadlineMs);
    }
  });

  it('never extends past the cap', () => {
    const nowMs = capMs - 5_000;
    const v = evaluateCooldown(s, { stagedAtMs, capMs, nowMs, evidence: EMPTY_EVIDENCE });
    expect(v).toMatchObject({ kind: 'extend', deadlineMs: capMs });
  });

  it('is inconclusive at the cap without enough evidence', () => {
    const v = evaluateCooldown(s, { stagedAtMs, capMs, nowMs: capMs, evidence: evidence([0.1, 0.1, 0.1]) });
    expect(v.kind).toBe('inconclusive');
  });

  it('still promotes at the cap when the evidence arrived', () => {
    const v = evaluateCooldown(s, { stagedAtMs, capMs, nowMs: capMs, evidence: evidence([0.1, 0.1, 0.1, 0.1]) });
    expect(v.kind).toBe('promote');
  });

  it('with min-samples 0 promotes on the timer without samples', () => {
    const zero = mergeSettings(s, { minSamples: 0 });
    expect(evaluateCooldown(zero, { stagedAtMs, capMs, nowMs: stagedAtMs + 1, evidence: EMPTY_EVIDENCE }).kind).toBe(
      'promote',
    );
  });
});

describe('evidence summary', () => {
  it('tracks count, mean, max and criticals', () => {
    const e = evidence([0.1, 0.5, 0.3], [1]);
    expect(e.count).toBe(3);
    expect(e.max).toBe(0.5);
    expect(e.critical).toBe(1);
    expect(meanDivergence(e)).toBeCloseTo(0.3, 9);
    expect(meanDivergence(EMPTY_EVIDENCE)).toBeNull();
  });
});

describe('settings', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      cooldownBaseSeconds: 300,
      cooldownMaxSeconds: 3600,
      noProbePenaltySeconds: 120,
      minSamples: 20,
      samplingRate: 1,
      decisionTimeoutSeconds: 604_800,
      thresholds: { l1: 0.15, l2: 0.3, l3: 0.5, judgeConfidence: 0.6 },
    });
  });
  it('refuses overrides that break l1 < l2 < l3, naming the field', () => {
    expect(() => mergeSettings(DEFAULT_SETTINGS, { thresholds: { l2: 0.6 } })).toThrow(/l2/);
  });
  it('refuses a base above the max, naming the field', () => {
    expect(() => mergeSettings(DEFAULT_SETTINGS, { cooldownBaseSeconds: 4000 })).toThrow(/cooldownBaseSeconds/);
  });
});

describe('promotionShortfall: when a manual promotion is an override', () => {
  const s = mergeSettings(DEFAULT_SETTINGS, { minSamples: 10, cooldownBaseSeconds: 1800, cooldownMaxSeconds: 3600 });
  const nowMs = 5_000_000;

  it('names every part of the evidence rule that is not met yet', () => {
    expect(
      promotionShortfall(s, { deadlineMs: nowMs + 1_500_000, nowMs, evidence: evidence([0.1, 0.1, 0.1, 0.1, 0.1]) }),
    ).toBe('cooldown has 1500 s left; 5 of 10 samples');
    const bad = evidence(
      Array.from({ length: 10 }, () => 0.4),
      [3],
    );
    expect(promotionShortfall(s, { deadlineMs: nowMs, nowMs, evidence: bad })).toBe(
      '1 critical shadow sample(s); mean divergence 0.400 is not below l2 0.3',
    );
    // Inconclusive (no deadline left to wait for): only the evidence counts.
    expect(promotionShortfall(s, { deadlineMs: null, nowMs, evidence: evidence([0.1]) })).toBe('1 of 10 samples');
  });

  it('is null exactly when the cooldown timer would promote', () => {
    const clean = evidence(Array.from({ length: 10 }, () => 0.1));
    expect(promotionShortfall(s, { deadlineMs: nowMs, nowMs, evidence: clean })).toBeNull();
    expect(evaluateCooldown(s, { stagedAtMs: 0, capMs: nowMs * 2, nowMs, evidence: clean }).kind).toBe('promote');
    expect(promotionShortfall(s, { deadlineMs: nowMs + 1, nowMs, evidence: clean })).toBe('cooldown has 1 s left');
  });
});
