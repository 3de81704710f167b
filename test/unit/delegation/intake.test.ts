import { describe, expect, it } from 'vitest';
import { IntakeBatchError, parseIntakeBatch, type IntakeKind } from '../../../domain/delegation/intake';
import { refusalOf } from './refusal';

const signal = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    kind: 'drift_signal',
    abp_id: 'ABP-0a1b2c3d',
    type: 'bypass',
    severity: 'red',
    fingerprint: { key: 'fp-1', version: 1 },
    observed_at: '2026-05-01T02:00:00+02:00',
    ...over,
  });

const refused = (text: string, kind?: IntakeKind): string =>
  refusalOf(IntakeBatchError, () => parseIntakeBatch(text, kind)).message;

describe('NDJSON intake', () => {
  it('reports rows read (blank lines and the final newline are not rows) against the row count', () => {
    const heard: [number, number | undefined, string][] = [];
    parseIntakeBatch(
      `${signal()}\n\n${signal({ severity: 'green' })}\n${signal({ severity: 'yellow' })}\n`,
      undefined,
      (...call) => heard.push(call),
    );
    expect(heard).toEqual([
      [1, 3, 'validating rows'],
      [2, 3, 'validating rows'],
      [3, 3, 'validating rows'],
    ]);
  });

  it('parses drift signals, coherence runs and claims, with derived stable ids', () => {
    const text = [
      signal(),
      '',
      JSON.stringify({
        kind: 'coherence_run',
        abp_id: 'ABP-0a1b2c3d',
        score: 59.5,
        observed_at: '2026-05-01T00:00:00Z',
      }),
      JSON.stringify({ kind: 'claim', claim_id: 'c-1', abp_id: 'ABP-11111111', expires_at: '2026-05-02T00:00:00Z' }),
    ].join('\n');
    const batch = parseIntakeBatch(text);
    expect(batch.driftSignals).toHaveLength(1);
    expect(batch.driftSignals[0]!.observed_at).toBe('2026-05-01T00:00:00Z');
    expect(batch.driftSignals[0]!.signal_id).toMatch(/^DS-[0-9a-f]{16}$/);
    expect(parseIntakeBatch(signal()).driftSignals[0]!.signal_id).toBe(batch.driftSignals[0]!.signal_id);
    expect(parseIntakeBatch(signal({ severity: 'yellow' })).driftSignals[0]!.signal_id).not.toBe(
      batch.driftSignals[0]!.signal_id,
    );
    expect(batch.coherenceRuns[0]!.run_id).toMatch(/^CR-/);
    expect(batch.claims[0]!.claim_id).toBe('c-1');
    expect(batch.abpIds).toEqual(['ABP-0a1b2c3d', 'ABP-11111111']);
  });

  it('takes the kind from the file when rows do not name it', () => {
    const row = JSON.stringify({ abp_id: 'ABP-0a1b2c3d', score: 80, observed_at: '2026-05-01T00:00:00Z' });
    expect(parseIntakeBatch(row, 'coherence_run').coherenceRuns).toHaveLength(1);
    expect(refused(row)).toMatch(/line 1: kind: required/);
    expect(refused(signal(), 'claim')).toMatch(/line 1: kind: row says drift_signal but the file is claim/);
  });

  it('refuses the whole batch naming each bad line and field', () => {
    const text = [
      signal(),
      signal({ severity: 'purple' }),
      signal(),
      '{not json',
      signal({ fingerprint: { key: '', version: 1 } }),
    ].join('\n');
    const message = refused(text);
    expect(message).toMatch(/nothing written/);
    expect(message).toMatch(/line 2: severity:/);
    expect(message).toMatch(/line 4: not JSON/);
    expect(message).toMatch(/line 5: fingerprint\.key:/);
    expect(message).not.toMatch(/line 1:|line 3:/);
  });

  it('checks each field: the 8 drift types, score 0-100, expiry, unknown fields', () => {
    expect(refused(signal({ type: 'gravity' }))).toMatch(/line 1: type:/);
    expect(
      refused(
        JSON.stringify({
          kind: 'coherence_run',
          abp_id: 'ABP-0a1b2c3d',
          score: 101,
          observed_at: '2026-05-01T00:00:00Z',
        }),
      ),
    ).toMatch(/line 1: score:/);
    expect(
      refused(JSON.stringify({ kind: 'claim', claim_id: 'c', abp_id: 'ABP-0a1b2c3d', expires_at: 'soon' })),
    ).toMatch(/line 1: expires_at:/);
    expect(refused(signal({ prompt: 'x' }))).toMatch(/line 1: .*prompt/);
    expect(refused(signal({ abp_id: 'abp-1' }))).toMatch(/line 1: abp_id:/);
    expect(refused('\n\n')).toMatch(/no rows/);
    for (const type of ['time', 'freshness', 'fallback', 'bypass', 'verify', 'outcome', 'fanout', 'contention']) {
      expect(parseIntakeBatch(signal({ type })).driftSignals[0]!.type).toBe(type);
    }
  });

  it('refuses a batch in which one id names two different rows, and stores an identical repeat once', () => {
    const run = (score: number) =>
      JSON.stringify({
        kind: 'coherence_run',
        run_id: 'run-7',
        abp_id: 'ABP-0a1b2c3d',
        score,
        observed_at: '2026-05-01T00:00:00Z',
      });
    // Before, ON CONFLICT DO NOTHING kept whichever row came first and dropped the other silently.
    expect(refused([run(80), signal(), run(12)].join('\n'))).toMatch(
      /line 3: run_id run-7 repeats line 1 with different content/,
    );
    const claim = (statement: string) =>
      JSON.stringify({
        kind: 'claim',
        claim_id: 'c-1',
        abp_id: 'ABP-0a1b2c3d',
        statement,
        expires_at: '2026-05-02T00:00:00Z',
      });
    expect(refused([claim('a'), claim('b')].join('\n'))).toMatch(/line 2: claim_id c-1 of ABP-0a1b2c3d repeats line 1/);
    const batch = parseIntakeBatch(
      [run(80), run(80), JSON.stringify({ ...JSON.parse(run(80)), kind: undefined })].join('\n'),
      'coherence_run',
    );
    expect(batch.coherenceRuns).toHaveLength(1);
    expect(batch.abpLines).toEqual({ 'ABP-0a1b2c3d': 1 });
  });

  it('refuses date-times no calendar or column holds (year 0000, past 9999), naming line and field', () => {
    expect(refused(signal({ observed_at: '0000-01-01T00:00:00Z' }))).toMatch(
      /line 1: observed_at: must be a date-time in the years 0001 to 9999/,
    );
    expect(refused(signal({ observed_at: '0001-01-01T00:00:00+01:00' }))).toMatch(
      /line 1: observed_at: must be a date-time in the years 0001/,
    );
    const claim = (observed: string) =>
      JSON.stringify({
        kind: 'claim',
        claim_id: 'c',
        abp_id: 'ABP-0a1b2c3d',
        expires_at: '2026-05-02T00:00:00Z',
        observed_at: observed,
      });
    // An optional field is refused too, never stored as missing.
    expect(refused(claim('9999-12-31T23:00:00-02:00'))).toMatch(/line 1: observed_at: must be a date-time/);
    expect(parseIntakeBatch(signal({ observed_at: '0050-06-15T12:00:00Z' })).driftSignals[0]!.observed_at).toBe(
      '0050-06-15T12:00:00Z',
    );
  });

  it('refuses text PostgreSQL cannot store, naming line and field', () => {
    expect(refused(signal({ summary: 'a\u0000b' }))).toMatch(/line 1: summary: must not contain a NUL/);
    expect(refused(signal({ fingerprint: { key: 'k\ud800', version: 1 } }))).toMatch(
      /line 1: fingerprint\.key: .*surrogate/,
    );
  });
});
