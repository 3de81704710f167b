import { referenceDateTime } from './reference-date-time';
import { referenceNumberText } from './reference-number';

/**
 * ABP canonical JSON, byte for byte what the ABP reference tooling (DeepSigma
 * `canonical_json.py`: `canonical_dumps`) produces, because ABP ids and hashes are sha256 over
 * it and every ABP Warden writes must verify with the reference verifier:
 * - object keys sorted by code point (Python's order, not UTF-16's), at every depth; keys
 *   themselves are never rewritten;
 * - no whitespace; non-ASCII characters written as they are; the escapes of json.dumps;
 * - every string value rewritten by the reference's date-time rule (referenceDateTime), then CRLF
 *   and CR turned into LF;
 * - numbers as referenceNumberText writes them (integral values as integers, other values
 *   rounded to 15 significant digits and written as Python's repr).
 * The golden vectors in test/fixtures/abp-reference-vectors.json were produced by the reference
 * itself and pin all of this.
 *
 * Pure and free of Node built-ins: workflows may use it.
 */
export function abpCanonicalJson(value: unknown): string {
  return write(value);
}

/** A string value as the reference hashes it. */
export function referenceString(text: string): string {
  return (referenceDateTime(text) ?? text).replace(/\r\n?/g, '\n');
}

/**
 * The same value with every string value replaced by referenceString (keys and numbers as they
 * are). abpCanonicalJson gives the same text for both, so storing this form means every
 * character of a stored ABP is covered by its hash: nothing in it can change without changing
 * the hash (a fraction of a second, a CR before an LF).
 */
export function referenceNormalForm<T>(value: T): T {
  return normalise(value) as T;
}

function normalise(value: unknown): unknown {
  if (typeof value === 'string') return referenceString(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (value instanceof Date) return referenceString(value.toISOString());
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined)
        Object.defineProperty(out, key, { value: normalise(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function write(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return referenceNumberText(value);
  if (typeof value === 'string') return JSON.stringify(referenceString(value));
  if (value instanceof Date) return JSON.stringify(referenceString(value.toISOString()));
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : write(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => compareCodePoints(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v)}`).join(',')}}`;
  }
  throw new TypeError(`cannot encode a ${typeof value} as JSON`);
}

/**
 * Python compares strings by code point; JavaScript's < compares UTF-16 code units, which puts
 * U+E000..U+FFFF after the astral planes. Equal up to the first difference either way, so only
 * that pair of units needs fixing: a surrogate (an astral code point) sorts above any BMP unit.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
