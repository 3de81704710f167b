import { canonicalJson } from '../canonical-json';

/**
 * ABP canonical JSON: the shared canonical form (keys sorted recursively, no whitespace) plus the
 * two rules the original ABP hashing relies on, so the same document always hashes the same way
 * however it was written:
 * - integral numbers are written as integers (1.0 → 1; -0 → 0), which JSON.stringify already does
 *   except for -0;
 * - every string that is a complete RFC 3339 date-time is normalised to UTC with a "Z" suffix and
 *   no zero fraction ("2026-02-24T02:00:00+02:00" → "2026-02-24T00:00:00Z").
 *
 * Pure and free of Node built-ins: workflows may use it.
 */
export function abpCanonicalJson(value: unknown): string {
  return canonicalJson(normaliseForCanonical(value));
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Returns the UTC "Z" form of an RFC 3339 date-time, or undefined when `text` is not one.
 * The fraction is kept digit for digit (trailing zeros dropped), so no precision is lost.
 */
export function normaliseDateTime(text: string): string | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone, sign, oh, om] = m;
  const fields = [y, mo, d, h, mi, s].map((part) => Number(part));
  const [year, month, day, hour, minute, second] = fields as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetMinutes = zone === 'Z' || zone === 'z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  // Date.UTC silently rolls 31 February over into March; such a string is not a date-time.
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined;
  const utc = new Date(local - offsetMinutes * 60_000).toISOString().slice(0, 19);
  const digits = (fraction ?? '').slice(1).replace(/0+$/, '');
  return `${utc}${digits ? `.${digits}` : ''}Z`;
}

function normaliseForCanonical(value: unknown): unknown {
  if (typeof value === 'string') return normaliseDateTime(value) ?? value;
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return value.map(normaliseForCanonical);
  if (value instanceof Date) return normaliseDateTime(value.toISOString());
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = normaliseForCanonical(v);
    return out;
  }
  return value;
}
