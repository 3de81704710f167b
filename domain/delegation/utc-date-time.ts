const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Returns the UTC "Z" form of an RFC 3339 date-time, or undefined when `text` is not one.
 * The fraction is kept digit for digit (trailing zeros dropped), so no precision is lost: what
 * evidence timestamps need. ABP timestamps use wholeSecondUtc instead.
 *
 * Years run from 0001 to 9999, before and after the move to UTC, as in the ABP reference tooling
 * (Python's datetime: "0000-01-01T00:00:00Z" and "0001-01-01T00:00:00+01:00" are not date-times
 * there, see the golden vectors) and in PostgreSQL, which has no year 0 and refuses it.
 */
export function normaliseDateTime(text: string): string | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone, sign, oh, om] = m;
  const fields = [y, mo, d, h, mi, s].map((part) => Number(part));
  const [year, month, day, hour, minute, second] = fields as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  if (Number(oh ?? 0) > 23 || Number(om ?? 0) > 59) return undefined;
  const offsetMinutes = zone === 'Z' || zone === 'z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  // Not Date.UTC: it reads years 0..99 as 1900..1999.
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, 0);
  // A day past the month's end rolls over into the next month; such a string is not a date-time.
  if (local.getUTCDate() !== day || local.getUTCMonth() !== month - 1) return undefined;
  const shifted = new Date(local.getTime() - offsetMinutes * 60_000);
  const utcYear = shifted.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) return undefined;
  const utc = shifted.toISOString().slice(0, 19);
  const digits = (fraction ?? '').slice(1).replace(/0+$/, '');
  return `${utc}${digits ? `.${digits}` : ''}Z`;
}

const WHOLE_SECOND_UTC = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * An ABP timestamp as Warden stores it: UTC, "Z", whole seconds (the fraction truncated), years
 * 1000..9999. That is exactly the form the ABP reference tooling hashes every date-time in, so
 * the stored text is the hashed text. Undefined when `text` is not an RFC 3339 date-time or
 * falls outside those years.
 */
export function wholeSecondUtc(text: string): string | undefined {
  const utc = normaliseDateTime(text);
  if (utc === undefined) return undefined;
  const whole = `${utc.slice(0, 19)}Z`;
  return WHOLE_SECOND_UTC.test(whole) ? whole : undefined;
}
