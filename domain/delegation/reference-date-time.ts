/**
 * The date-time rule of the ABP reference tooling (DeepSigma `canonical_json.py`,
 * `_normalize_datetime_string`), reproduced exactly because ABP ids and hashes are computed over it:
 *
 *   a string matching ^YYYY-MM-DDTHH:MM:SS(.fraction)?(Z|±hh:mm)?$ (ASCII digits, upper-case T and
 *   Z) that Python 3.11's datetime.fromisoformat accepts, and that stays inside years 1..9999 once
 *   moved to UTC, is rewritten as strftime("%Y-%m-%dT%H:%M:%SZ") of that UTC instant: the
 *   fraction is dropped (truncated, not rounded); any other string is left alone.
 *
 * The Python details that matter, each pinned by the golden vectors:
 * - the offset's hours and minutes are not range-checked, only the total: |offset| < 24 h
 *   ("+05:60" is six hours, "+23:60" is refused);
 * - year 0, month 13, 30 February, hour 24 and second 60 are refused;
 * - a result outside years 1..9999 (an offset pushing 0001-01-01 or 9999-12-31 over the edge) is an
 *   OverflowError and leaves the string alone;
 * - glibc's %Y does not pad: year 999 is written "999", year 1 "1";
 * - a string without a zone is read in the verifier's local time zone. Warden reads it as UTC,
 *   which is what the reference does under TZ=UTC (where the golden vectors were made); there its
 *   local-time conversion also refuses 0001-01-01 (it looks one day back), reproduced here.
 *
 * Pure and free of Node built-ins.
 */
const REFERENCE_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))?$/;

const SECONDS_PER_DAY = 86_400;
const MAX_OFFSET_MINUTES = 24 * 60;
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z as seconds from the Unix epoch. */
const MIN_SECONDS = daysFromCivil(1, 1, 1) * SECONDS_PER_DAY;
const MAX_SECONDS = daysFromCivil(9999, 12, 31) * SECONDS_PER_DAY + SECONDS_PER_DAY - 1;
/** A zone-less time before 0001-01-02 fails the reference's local-time conversion. */
const MIN_NAIVE_SECONDS = MIN_SECONDS + SECONDS_PER_DAY;

/** The reference's rewrite of `text`, or undefined when it leaves `text` as it is. */
export function referenceDateTime(text: string): string | undefined {
  const m = REFERENCE_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const [, , , , , , , , zone, sign, offsetHours, offsetMinutes] = m;
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    offset = Number(offsetHours) * 60 + Number(offsetMinutes);
    if (offset >= MAX_OFFSET_MINUTES) return undefined;
    if (sign === '-') offset = -offset;
  }
  const local = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
  const utc = local - offset * 60;
  // The fraction never matters: Python truncates it to microseconds, which cannot carry into the
  // next second, and the rewrite drops it.
  if (utc < MIN_SECONDS || utc > MAX_SECONDS) return undefined;
  if (zone === undefined && local < MIN_NAIVE_SECONDS) return undefined;
  return formatUtc(utc);
}

function formatUtc(seconds: number): string {
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  const rest = seconds - days * SECONDS_PER_DAY;
  const [y, mo, d] = civilFromDays(days);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${y}-${two(mo)}-${two(d)}T${two(Math.floor(rest / 3600))}:${two(Math.floor((rest % 3600) / 60))}:${two(rest % 60)}Z`;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm). Date.UTC
 * is not usable here: it reads years 0..99 as 1900..1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}
