/**
 * What a database error means for the caller, from its SQLSTATE (or the driver's network error
 * code), so that nobody above this layer parses PostgreSQL's messages or passes them on:
 * - `input`: the value itself is unacceptable (class 22, data exception; 23502/23514, a NOT NULL
 *   or CHECK constraint; 54000, e.g. an index row too large). Retrying cannot help.
 * - `conflict`: the row collides with stored data (unique or foreign key violation).
 * - `unavailable`: the database cannot be reached or is shutting down; retrying later can help.
 */
export type DatabaseErrorKind = 'input' | 'conflict' | 'unavailable';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const LOST_CONNECTION =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed|Cannot use a pool after calling end/i;

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function databaseErrorKind(error: unknown): DatabaseErrorKind | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'unavailable';
  const state = sqlState(error);
  if (state === undefined) return LOST_CONNECTION.test(error.message) ? 'unavailable' : undefined;
  if (state.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(state)) return 'unavailable';
  if (state.startsWith('22') || state === '23502' || state === '23514' || state === '54000') return 'input';
  if (state === '23505' || state === '23503') return 'conflict';
  return undefined;
}

/**
 * A description of a database refusal that names the column or constraint when the driver says
 * which, and never repeats the server's message (it may quote stored data or the schema).
 */
export function describeDatabaseRefusal(error: unknown): string {
  const e = error as { column?: string; constraint?: string; table?: string };
  const where = e.column
    ? ` (column ${e.column})`
    : e.constraint
      ? ` (constraint ${e.constraint})`
      : e.table
        ? ` (table ${e.table})`
        : '';
  switch (databaseErrorKind(error)) {
    case 'input':
      return `the database refused a value as out of range or malformed${where}`;
    case 'conflict':
      return `the change conflicts with stored data${where}`;
    case 'unavailable':
      return 'the database is unavailable; try again shortly';
    default:
      return 'the database refused the request';
  }
}

/** True for an error the driver raised (a SQLSTATE), as opposed to one of ours. */
export function isDatabaseError(error: unknown): boolean {
  return sqlState(error) !== undefined || databaseErrorKind(error) !== undefined;
}
