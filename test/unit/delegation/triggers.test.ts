import { describe, expect, it } from 'vitest';
import { demoAbp } from '../../../demo/delegation-abp';
import { parseTriggerCondition, type TriggerCondition } from '../../../domain/delegation/trigger-conditions';
import { readTrigger } from '../../../domain/delegation/trigger-evaluation';
import { DAY_MS, measureTrigger, type Evidence } from '../../../domain/delegation/trigger-evidence';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const triggers = demoAbp().delegation_review!.triggers;
const condition = (id: string): TriggerCondition => parseTriggerCondition(triggers.find((t) => t.id === id)!);
const none: Evidence = { signals: [], blocks: [], runs: [], claims: [] };
const state = (id: string, evidence: Partial<Evidence>, since: number | null = null) => {
  const c = condition(id);
  return readTrigger(c, measureTrigger(c, { ...none, ...evidence }, { now: NOW, since }));
};
const ago = (days: number) => NOW - days * DAY_MS;
const signals = (key: string, n: number, at = ago(1)) =>
  Array.from({ length: n }, () => ({ fingerprintKey: key, observedAt: at }));
const blocks = (n: number, at = ago(1)) =>
  Array.from({ length: n }, () => ({ irreversible: true, blocked: true, checkedAt: at }));
const runs = (...scores: number[]) => scores.map((score, i) => ({ score, observedAt: ago(scores.length - i) }));
const claims = (n: number, at = ago(1)) => Array.from({ length: n }, () => ({ expiresAt: at }));

describe('trigger readings', () => {
  it('computes progress as min(100, round(current / threshold * 100)) and arms from 60 %', () => {
    const c = condition('DRT-002');
    expect(readTrigger(c, 2)).toMatchObject({ state: 'clear', progress: 40 });
    expect(readTrigger(c, 3)).toMatchObject({ state: 'armed', progress: 60 });
    expect(readTrigger(c, 9)).toMatchObject({ state: 'tripped', progress: 100, threshold: 5, comparator: '>' });
  });

  it('handles a zero threshold', () => {
    const c = parseTriggerCondition({ id: 'DRT-009', condition: { expired_claims_gt: 0 } });
    expect(readTrigger(c, 0)).toMatchObject({ state: 'clear', progress: 0 });
    expect(readTrigger(c, 1)).toMatchObject({ state: 'tripped', progress: 100 });
  });
});

describe('DRT-001 recurring fingerprint (>= 3 repeats in 14 days)', () => {
  it('trips at 3 repeats of one key, not at 2', () => {
    expect(state('DRT-001', { signals: signals('fp-a', 2) }).state).toBe('armed');
    expect(state('DRT-001', { signals: signals('fp-a', 3) }).state).toBe('tripped');
  });
  it('counts per key, not in total', () => {
    expect(state('DRT-001', { signals: [...signals('fp-a', 2), ...signals('fp-b', 2)] })).toMatchObject({
      current: 2,
      state: 'armed',
    });
  });
  it('counts a signal exactly at the window edge, not one just before it', () => {
    expect(state('DRT-001', { signals: [...signals('fp-a', 2), ...signals('fp-a', 1, ago(14))] }).state).toBe(
      'tripped',
    );
    expect(state('DRT-001', { signals: [...signals('fp-a', 2), ...signals('fp-a', 1, ago(14) - 1)] }).state).toBe(
      'armed',
    );
  });
});

describe('DRT-002 irreversible actions blocked (> 5 in 7 days)', () => {
  it('does not trip at 5 blocks, trips at 6', () => {
    expect(state('DRT-002', { blocks: blocks(5) })).toMatchObject({ state: 'armed', current: 5, progress: 100 });
    expect(state('DRT-002', { blocks: blocks(6) }).state).toBe('tripped');
  });
  it('counts only irreversible blocked actions inside the window', () => {
    const reversible = Array.from({ length: 6 }, () => ({ irreversible: false, blocked: true, checkedAt: ago(1) }));
    const allowed = Array.from({ length: 6 }, () => ({ irreversible: true, blocked: false, checkedAt: ago(1) }));
    expect(state('DRT-002', { blocks: [...reversible, ...allowed] }).current).toBe(0);
    expect(state('DRT-002', { blocks: [...blocks(5), ...blocks(1, ago(7) - 1)] }).state).toBe('armed');
    expect(state('DRT-002', { blocks: [...blocks(5), ...blocks(1, ago(7))] }).state).toBe('tripped');
  });
});

describe('DRT-003 coherence below 60 for 3 consecutive runs', () => {
  it('trips on three runs at 59, not when one of the last three is 60', () => {
    expect(state('DRT-003', { runs: runs(59, 59, 59) }).state).toBe('tripped');
    expect(state('DRT-003', { runs: runs(59, 60, 59) })).toMatchObject({ state: 'clear', current: 1 });
    expect(state('DRT-003', { runs: runs(59, 59, 60) })).toMatchObject({ state: 'clear', current: 0 });
    expect(state('DRT-003', { runs: runs(59, 59) }).state).toBe('armed');
  });
  it('uses the newest runs whatever order they arrive in', () => {
    const [a, b, c] = runs(59, 59, 70);
    expect(state('DRT-003', { runs: [c!, a!, b!] }).current).toBe(0);
  });
});

describe('DRT-004 expired claims (> 4 in 30 days)', () => {
  it('does not trip at 4 expired claims, trips at 5', () => {
    expect(state('DRT-004', { claims: claims(4) }).state).toBe('armed');
    expect(state('DRT-004', { claims: claims(5) }).state).toBe('tripped');
  });
  it('counts only claims that have expired, inside the window', () => {
    expect(state('DRT-004', { claims: [...claims(4), ...claims(1, NOW + 1)] }).state).toBe('armed');
    expect(state('DRT-004', { claims: [...claims(4), ...claims(1, ago(30) - 1)] }).state).toBe('armed');
    expect(state('DRT-004', { claims: [...claims(4), ...claims(1, ago(30))] }).state).toBe('tripped');
  });
});

describe('evidence after the last concluded review', () => {
  it('does not count evidence a concluded review already handled', () => {
    const concluded = ago(2);
    const old = blocks(6, ago(3));
    expect(state('DRT-002', { blocks: old }).state).toBe('tripped');
    expect(state('DRT-002', { blocks: old }, concluded)).toMatchObject({ state: 'clear', current: 0 });
    expect(state('DRT-002', { blocks: [...old, ...blocks(6, ago(1))] }, concluded).state).toBe('tripped');
    expect(state('DRT-002', { blocks: blocks(6, concluded) }, concluded).current).toBe(0);
  });
});
