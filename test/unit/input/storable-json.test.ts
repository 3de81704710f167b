import { describe, expect, it } from 'vitest';
import { jsonStorageIssues, MAX_JSON_DEPTH } from '../../../domain/input/storable-json';

describe('storable JSON (what jsonb and Temporal payloads accept)', () => {
  it('names the path of every string, key or number that would not survive', () => {
    const issues = jsonStorageIssues({ a: ['ok', 'bad\u0000'], ['k\ud800']: 1, n: Number.POSITIVE_INFINITY });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: ['a', 1], message: expect.stringMatching(/NUL/) },
        { path: ['k\ud800'], message: expect.stringMatching(/^key .*surrogate/) },
        { path: ['n'], message: 'must be a finite number' },
      ]),
    );
    expect(jsonStorageIssues({ a: [1, 'two', { three: null, four: true }] })).toEqual([]);
  });

  it('bounds nesting without recursing (a hostile document cannot exhaust the stack)', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    const issues = jsonStorageIssues(deep);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toBe(`nested more than ${MAX_JSON_DEPTH} levels deep`);
  });

  it('bounds the whole document and each string', () => {
    expect(jsonStorageIssues({ s: 'x'.repeat(2000) }, { maxBytes: 1000 })[0]?.message).toMatch(
      /at most 1000 bytes of JSON/,
    );
    expect(jsonStorageIssues({ s: 'x'.repeat(2000) }, { maxStringBytes: 1000 })[0]).toEqual({
      path: ['s'],
      message: 'must be at most 1000 bytes (UTF-8)',
    });
  });
});
