import { describe, expect, it } from 'vitest';
import { abpCanonicalJson, normaliseDateTime } from '../../../domain/abp/canonical';

describe('ABP canonical JSON', () => {
  it('sorts keys recursively and writes no whitespace', () => {
    expect(abpCanonicalJson({ b: 1, a: { z: [3, { y: 1, x: 2 }], c: null } })).toBe('{"a":{"c":null,"z":[3,{"x":2,"y":1}]},"b":1}');
  });

  it('writes integral floats as integers and -0 as 0', () => {
    expect(abpCanonicalJson({ a: 1.0, b: -0, c: 2.5 })).toBe('{"a":1,"b":0,"c":2.5}');
  });

  it('normalises date-times to UTC Z and drops a zero fraction', () => {
    expect(abpCanonicalJson({ t: '2026-02-24T02:30:00+02:30' })).toBe('{"t":"2026-02-24T00:00:00Z"}');
    expect(normaliseDateTime('2026-02-24T00:00:00.000Z')).toBe('2026-02-24T00:00:00Z');
    expect(normaliseDateTime('2026-02-24T00:00:00.123456-01:00')).toBe('2026-02-24T01:00:00.123456Z');
    expect(normaliseDateTime('2026-03-01T00:30:00+01:00')).toBe('2026-02-28T23:30:00Z');
  });

  it('leaves strings that are not complete date-times alone', () => {
    expect(normaliseDateTime('2026-02-31T00:00:00Z')).toBeUndefined();
    expect(normaliseDateTime('due 2026-02-24T00:00:00Z')).toBeUndefined();
    expect(abpCanonicalJson({ d: '2026-02-24' })).toBe('{"d":"2026-02-24"}');
  });

  it('refuses non-finite numbers', () => {
    expect(() => abpCanonicalJson({ a: Number.NaN })).toThrow();
  });
});
