import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storableText, textStorageProblem, toStorableText, utf8ByteLength } from '../../../domain/input/storable-text';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';

/** Single UTF-16 units and whole characters, weighted towards what databases refuse. */
const nastyUnit = fc.oneof(
  fc.constantFrom('\u0000', '\ud800', '\udfff', '😀', 'a', 'é', '€'),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

describe('storable text (what PostgreSQL text and jsonb accept)', () => {
  it('refuses NUL, lone surrogates and too many bytes, naming which', () => {
    expect(textStorageProblem('a\u0000b', 100)).toMatch(/NUL/);
    expect(textStorageProblem('\ud800', 100)).toMatch(/surrogate/);
    expect(textStorageProblem('x\udc00', 100)).toMatch(/surrogate/);
    expect(textStorageProblem('€'.repeat(34), 100)).toMatch(/at most 100 bytes/);
    expect(textStorageProblem('€'.repeat(33), 100)).toBeUndefined();
    expect(textStorageProblem('😀 ok', 100)).toBeUndefined();
    expect(storableText(10).safeParse('a\u0000').error?.issues[0]?.message).toMatch(/NUL/);
  });

  it('makes text from a source that cannot be refused (a model) storable', () => {
    expect(toStorableText('a\u0000b\ud800c😀\udfff')).toBe('a\uFFFDb\uFFFDc😀\uFFFD');
    fc.assert(
      fc.property(fc.string({ unit: nastyUnit, maxLength: 40 }), (s) => {
        expect(textStorageProblem(toStorableText(s), Number.MAX_SAFE_INTEGER)).toBeUndefined();
      }),
      { seed: fuzzSeed(11), numRuns: fuzzRuns(1000) },
    );
  });

  it('agrees with Buffer and String#isWellFormed on every string', () => {
    fc.assert(
      fc.property(fc.string({ unit: nastyUnit, maxLength: 40 }), fc.integer({ min: 0, max: 120 }), (s, max) => {
        const expected = !s.includes('\u0000') && wellFormed(s) && Buffer.byteLength(s, 'utf8') <= max;
        expect(textStorageProblem(s, max) === undefined).toBe(expected);
        if (wellFormed(s)) expect(utf8ByteLength(s)).toBe(Buffer.byteLength(s, 'utf8'));
      }),
      { seed: fuzzSeed(10), numRuns: fuzzRuns(2000) },
    );
  });
});
