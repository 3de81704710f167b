import pg from 'pg';
import { PipelinedConnection } from '../pipelined-connection';
import { SessionPrepared } from '../session-prepared';
import { sqlLiteral } from '../sql-literal';
import {
  APPEND_LOCK,
  PROVENANCE_ENTRIES_AFTER,
  PROVENANCE_HEAD_MATCHES,
  type ProvenanceEntry,
  type ProvenanceHead,
} from './log';

/** SQL for the condition a write of preparedWriteAtHead is gated on: everything is written, or nothing. */
export const AT_HEAD_OK = '(SELECT ok FROM go)';

/** A value as a jsonb literal, for a simple-protocol message (which takes no parameters). */
export const jsonbLiteral = (value: unknown) => `${sqlLiteral(JSON.stringify(value))}::jsonb`;

/**
 * A hot writer's change and its provenance entries in one round trip and one transaction, for a
 * writer that remembers the chain head its last write left: `entries` are signed in advance after
 * `head` (signEntriesAfter), and everything is written only if `ready` holds and `head` is still
 * the chain's head; otherwise nothing is written and the caller takes its careful transaction
 * (null). One simple-protocol message, which PostgreSQL runs as one implicit transaction: the
 * provenance lock first, then the write in a snapshot taken after it, so other appenders (which
 * take the lock before reading the head) see it.
 *
 * The write is a statement prepared once per database session (SessionPrepared), so it is not
 * parsed and planned per call: `inputs` (CTEs, `name AS (...)`, joined by commas), `ready` and
 * `writes` are constant SQL reading the caller's arguments as $1..$n, typed `parameterTypes`; the
 * entries and the head they were signed after follow as the last three parameters. Each write is
 * a data-modifying CTE body that writes only `WHERE AT_HEAD_OK` and returns a row per row written.
 * Each call sends the lock and an EXECUTE with the arguments as literals (SQL expressions in
 * parameter order) and answers the rows each write wrote, by name.
 */
export function preparedWriteAtHead<W extends string>(
  label: string,
  parts: { parameterTypes: readonly string[]; inputs: string; ready: string; writes: Record<W, string> },
): (
  on: pg.Pool | PipelinedConnection,
  args: readonly string[],
  entries: ProvenanceEntry[],
  head: ProvenanceHead,
) => Promise<Record<W | 'entries', number> | null> {
  const names = Object.keys(parts.writes) as W[];
  const n = parts.parameterTypes.length;
  const statement = new SessionPrepared(
    label,
    [...parts.parameterTypes, 'jsonb', 'bigint', 'text'],
    atHeadWrite(parts, `$${n + 1}`, PROVENANCE_HEAD_MATCHES(`$${n + 2}`, `$${n + 3}`)),
  );
  return async (on, args, entries, head) => {
    const execute = statement.execute([
      ...args,
      jsonbLiteral(entries),
      `${Math.trunc(head.seq)}`,
      sqlLiteral(head.contentHash),
    ]);
    const message = `SELECT pg_advisory_xact_lock(${APPEND_LOCK}); ${NO_SEQUENTIAL_SCANS}; ${execute}`;
    const results = (
      on instanceof PipelinedConnection
        ? await statement.runPipelined(on, message)
        : await statement.run<AtHeadResults>(on, message)
    ) as AtHeadResults;
    // The answers of the lock, the SET and the EXECUTE: countsOf reads the write's, second.
    return countsOf([results[0]!, results[2]!], names, entries.length);
  };
}

type AtHeadResults = { rows: Record<string, number | boolean>[] }[];

/**
 * In force while a prepared write is planned (and executed): PostgreSQL plans a prepared statement
 * generically after five executions and keeps that plan until a table's definition or statistics
 * change, which on PGlite (no autovacuum) is never. Planned on the first flushes, when the tables
 * are small, it kept a sequential scan of abp_action_checks (the anti-join that finds check ids
 * already stored), which then cost every flush more as the table grew. With sequential scans
 * priced out the plan walks the keys' indexes whatever the tables hold then. SET LOCAL: it ends
 * with the message's implicit transaction and reaches no other statement.
 */
const NO_SEQUENTIAL_SCANS = 'SET LOCAL enable_seqscan = off';

/** The write's statement: `entries` (a jsonb expression) appended and `writes` run only if `ready` and `headIs` hold. */
function atHeadWrite(
  parts: { inputs: string; ready: string; writes: Record<string, string> },
  entries: string,
  headIs: string,
): string {
  const names = Object.keys(parts.writes);
  return `WITH ${parts.inputs},
     go AS (SELECT (${parts.ready}) AND ${headIs} AS ok),
     ${names.map((n) => `${n} AS (${parts.writes[n]})`).join(',\n     ')},
     appended AS (${PROVENANCE_ENTRIES_AFTER(entries, AT_HEAD_OK)})
     SELECT ${AT_HEAD_OK} AS ok, ${names.map((n) => `(SELECT count(*) FROM ${n})::int AS "${n}"`).join(', ')},
            (SELECT count(*) FROM appended)::int AS entries`;
}

function countsOf<W extends string>(
  results: AtHeadResults,
  names: W[],
  entries: number,
): Record<W | 'entries', number> | null {
  const row = results[1]?.rows[0];
  if (!row?.ok) return null;
  const counts = Object.fromEntries([...names, 'entries'].map((n) => [n, row[n] as number])) as Record<
    W | 'entries',
    number
  >;
  // Every write and the entries ran on the same verdict; a short count would be a bug in the statement, not a race.
  if (counts.entries !== entries) throw new Error(`appended ${counts.entries} provenance entries of ${entries}`);
  return counts;
}
