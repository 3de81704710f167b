import pg from 'pg';
import { z } from 'zod';
import { GENESIS_HASH, contentHash, sign, signatureMatches } from '../../domain/non-workflow/provenance-entry-hash';
import { listLimit } from '../../domain/input/list-limit';
import { KEY_TEXT_BYTES, storableText } from '../../domain/input/storable-text';
import { findForbiddenKey } from '../../domain/provenance/forbidden-content';
import { type Queryable, lockTakenAtBegin, withTransaction } from '../pool';
import { camelRow } from '../row-mapper';
import { unnestOf } from '../row-chunks';

/**
 * The provenance chain's lock: the advisory lock that serialises appends across processes.
 *
 * Lock order, one rule for every provenance writer: a transaction that appends provenance takes
 * this lock FIRST, with its BEGIN (`withTransaction(pool, work, { lock: APPEND_LOCK })`, or the
 * first statement of a one-message write, preparedWriteAtHead), before any row lock (FOR UPDATE, UPDATE,
 * INSERT) or other lock. Everyone then queues on this lock and can never hold a row that a chain
 * lock holder waits for while itself waiting for the chain lock: a deadlock PostgreSQL resolves by
 * aborting one of them (a duplicate opening against an apply, a vote against an apply, a fact change
 * against a drift flush, all reproduced in fact-stamp-lock-order.test.ts). Triggers that take it
 * (migration 018's abp_fact_stamp_bump) are then no-ops. appendEntries refuses a transaction that
 * did not begin with it. Keyed advisory locks (db/pool.ts KeyedLock, e.g. the wake locks) come after.
 */
export const APPEND_LOCK = 7_246_202;

/** withTransaction for a transaction that appends provenance: begun holding APPEND_LOCK (its lock-order rule). */
export const withProvenanceTransaction = <T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> =>
  withTransaction(pool, work, { lock: APPEND_LOCK });

export const provenanceInput = z.object({
  kind: z.string().regex(/^[a-z][a-z0-9_.]*$/, 'lower-case dotted name, e.g. endorsement.staged'),
  subject: z.string().min(1),
  actor: z.string().min(1).nullable().optional(),
  payload: z.record(z.string(), z.unknown()).default({}),
  /** Retry-safety: a second append with the same key returns the first entry unchanged. */
  idempotencyKey: z.string().min(1).optional(),
});
export type ProvenanceInput = z.input<typeof provenanceInput>;

export interface ProvenanceEntry {
  seq: number;
  recordedAt: string;
  kind: string;
  subject: string;
  actor: string | null;
  payload: Record<string, unknown>;
  prevHash: string;
  contentHash: string;
  signature: string;
}

interface Row {
  seq: number;
  recorded_at: Date;
  kind: string;
  subject: string;
  actor: string | null;
  payload: Record<string, unknown>;
  prev_hash: string;
  content_hash: string;
  signature: string;
}

/** An entry's columns, in the order of ProvenanceEntry (the idempotency key stays in the table). */
const ENTRY_COLUMNS = 'seq, recorded_at, kind, subject, actor, payload, prev_hash, content_hash, signature';

const fromRow = (r: Row): ProvenanceEntry => camelRow(r);

/**
 * Appends one entry. Call it with the transaction client that makes the state change being
 * recorded: the advisory lock is held until that transaction ends, so concurrent writers queue up
 * and the chain stays linear, and a rolled-back change leaves no entry behind. Called with a pool,
 * it runs in a transaction of its own.
 */
export async function appendProvenance(
  q: Queryable | pg.Pool,
  key: string,
  input: ProvenanceInput,
): Promise<ProvenanceEntry> {
  return (await appendProvenanceBatch(q, key, [input]))[0]!;
}

/**
 * Appends several entries in order under one lock, with one read of the chain's head and one
 * INSERT: what a batch of state changes committed together records. An entry whose idempotency key
 * is already in the log is returned as stored and not appended again (a retried batch).
 */
export async function appendProvenanceBatch(
  q: Queryable | pg.Pool,
  key: string,
  inputs: ProvenanceInput[],
): Promise<ProvenanceEntry[]> {
  const entries = inputs.map(validEntry);
  if (entries.length === 0) return [];
  return q instanceof pg.Pool
    ? withProvenanceTransaction(q, (tx) => appendEntries(tx, key, entries))
    : appendEntries(q, key, entries);
}

/** The chain's head as one transaction read it while holding APPEND_LOCK. */
export interface ProvenanceHead {
  seq: number;
  contentHash: string;
}

/**
 * The head as SQL columns `head_seq, head_hash` (nulls for an empty log), for a statement of a
 * transaction that took APPEND_LOCK before it (withProvenanceLock): a hot writer reads the head in
 * the statement that makes its change instead of in two round trips of its own.
 */
export const PROVENANCE_HEAD_COLUMNS = `(SELECT seq FROM provenance_log ORDER BY seq DESC LIMIT 1) AS head_seq,
  (SELECT content_hash FROM provenance_log ORDER BY seq DESC LIMIT 1) AS head_hash`;

export const provenanceHeadOf = (r: { head_seq: number | null; head_hash: string | null }): ProvenanceHead => ({
  seq: r.head_seq ?? 0,
  contentHash: r.head_hash ?? GENESIS_HASH,
});

/**
 * appendProvenanceBatch for a transaction that already holds APPEND_LOCK (begun by
 * withTransaction's `lock`) and read `head` after taking it: one INSERT, no other round trip.
 */
export async function appendProvenanceAfterHead(
  q: Queryable,
  key: string,
  inputs: ProvenanceInput[],
  head: ProvenanceHead,
): Promise<ProvenanceEntry[]> {
  const entries = inputs.map(validEntry);
  return entries.length === 0 ? [] : appendEntries(q, key, entries, head);
}

async function readHead(q: Queryable): Promise<ProvenanceHead> {
  const { rows } = await q.query<{ head_seq: number; head_hash: string }>(
    'SELECT seq AS head_seq, content_hash AS head_hash FROM provenance_log ORDER BY seq DESC LIMIT 1',
  );
  return provenanceHeadOf(rows[0] ?? { head_seq: null, head_hash: null });
}

function validEntry(input: ProvenanceInput): z.output<typeof provenanceInput> {
  const entry = provenanceInput.parse(input);
  const forbidden = findForbiddenKey(entry.payload);
  if (forbidden) throw new Error(`provenance entries never carry text or secrets: ${forbidden} is not allowed`);
  return entry;
}

/** `entry` as the entry that follows `prev`, hashed and signed. */
function signEntry(
  key: string,
  entry: z.output<typeof provenanceInput>,
  prev: ProvenanceHead,
  recordedAt: string,
): { appended: ProvenanceEntry; payloadJson: string } {
  // Payloads go through JSON once so the hash covers exactly what jsonb will give back.
  const payloadJson = JSON.stringify(entry.payload);
  const payload = JSON.parse(payloadJson) as Record<string, unknown>;
  const content = {
    seq: prev.seq + 1,
    recordedAt,
    kind: entry.kind,
    subject: entry.subject,
    actor: entry.actor ?? null,
    payload,
    prevHash: prev.contentHash,
  };
  const hash = contentHash(content);
  return { appended: { ...content, contentHash: hash, signature: sign(key, hash) }, payloadJson };
}

/**
 * Entries (without idempotency keys) signed to follow `head`, for a writer that appends them in
 * a statement of its own only if `head` is still the chain's head under APPEND_LOCK
 * (PROVENANCE_ENTRIES_AFTER): a hot writer that remembers the head it left behind appends in the
 * same round trip as its change.
 */
export function signEntriesAfter(key: string, inputs: ProvenanceInput[], head: ProvenanceHead): ProvenanceEntry[] {
  const recordedAt = new Date().toISOString();
  let prev = head;
  return inputs.map((input) => {
    const entry = validEntry(input);
    if (entry.idempotencyKey) throw new Error('signEntriesAfter appends entries without idempotency keys');
    const { appended } = signEntry(key, entry, prev, recordedAt);
    prev = appended;
    return appended;
  });
}

/**
 * SQL for a data-modifying CTE body that appends `entries` (a jsonb array of ProvenanceEntry
 * objects, as signEntriesAfter made them) when the SQL condition `when` holds; the statement must
 * follow `SELECT pg_advisory_xact_lock(APPEND_LOCK)` in the same transaction and check in `when`
 * that the head is the one they were signed after (PROVENANCE_HEAD_MATCHES).
 */
export const PROVENANCE_ENTRIES_AFTER = (entries: string, when: string) =>
  `INSERT INTO provenance_log (seq, recorded_at, kind, subject, actor, payload, prev_hash, content_hash, signature)
   SELECT e."seq", e."recordedAt", e."kind", e."subject", e."actor", e."payload", e."prevHash", e."contentHash", e."signature"
     FROM jsonb_to_recordset(${entries}) AS e("seq" bigint, "recordedAt" timestamptz, "kind" text, "subject" text,
          "actor" text, "payload" jsonb, "prevHash" text, "contentHash" text, "signature" text)
    WHERE ${when}
   RETURNING seq`;

/** A SQL condition: the chain's head (in the statement's snapshot) has the seq and hash these SQL expressions give. */
export const PROVENANCE_HEAD_MATCHES = (seq: string, contentHash: string) =>
  `coalesce((SELECT seq FROM provenance_log ORDER BY seq DESC LIMIT 1), 0) = ${seq}
   AND coalesce((SELECT content_hash FROM provenance_log ORDER BY seq DESC LIMIT 1), ${pg.escapeLiteral(GENESIS_HASH)}) = ${contentHash}`;

/** The append itself, on entries already validated, inside the caller's transaction. */
async function appendEntries(
  q: Queryable,
  key: string,
  entries: z.output<typeof provenanceInput>[],
  lockedHead?: ProvenanceHead,
): Promise<ProvenanceEntry[]> {
  // The lock-order rule (APPEND_LOCK): taking the lock here, after the transaction's row locks,
  // is what deadlocked against writers that hold it and wait for those rows.
  if (lockTakenAtBegin(q) !== APPEND_LOCK)
    throw new Error('provenance is appended only in a transaction begun holding APPEND_LOCK (see its lock-order rule)');
  const keys = entries.map((e) => e.idempotencyKey).filter((k): k is string => k !== undefined);
  const stored = new Map<string, ProvenanceEntry>();
  if (keys.length > 0) {
    const existing = await q.query<Row & { idem_key: string }>(
      `SELECT ${ENTRY_COLUMNS}, idem_key FROM provenance_log WHERE idem_key = ANY($1::text[])`,
      [keys],
    );
    for (const { idem_key, ...row } of existing.rows) stored.set(idem_key, fromRow(row));
  }
  const head: ProvenanceHead = lockedHead ?? (await readHead(q));
  const { result, fresh } = signEntries(key, entries, head, stored);
  if (fresh.length > 0) await q.query(PROVENANCE_INSERT(1), provenanceInsertParams(fresh));
  return result;
}

/**
 * Chains and signs `entries` after `head`; an entry whose idempotency key is in `stored` is that
 * stored entry again (and none is written for it).
 */
function signEntries(
  key: string,
  entries: z.output<typeof provenanceInput>[],
  head: ProvenanceHead,
  stored: Map<string, ProvenanceEntry>,
): { result: ProvenanceEntry[]; fresh: SignedEntry[] } {
  let seq = head.seq;
  let prevHash = head.contentHash;
  const recordedAt = new Date().toISOString();
  const result: ProvenanceEntry[] = [];
  const fresh: SignedEntry[] = [];
  for (const entry of entries) {
    const already = entry.idempotencyKey ? stored.get(entry.idempotencyKey) : undefined;
    if (already) {
      result.push(already);
      continue;
    }
    const { appended, payloadJson } = signEntry(key, entry, { seq, contentHash: prevHash }, recordedAt);
    seq = appended.seq;
    prevHash = appended.contentHash;
    result.push(appended);
    fresh.push({ entry: appended, payloadJson, idemKey: entry.idempotencyKey ?? null });
    // The same key twice in one batch records once, as two retries would.
    if (entry.idempotencyKey) stored.set(entry.idempotencyKey, appended);
  }
  return { result, fresh };
}

type SignedEntry = { entry: ProvenanceEntry; payloadJson: string; idemKey: string | null };

/**
 * The INSERT of signed entries, its ten parameters numbered from `first`: a statement may write
 * them beside rows of its own (data-modifying CTEs), saving the append its round trip.
 */
export const PROVENANCE_INSERT = (first: number) =>
  `INSERT INTO provenance_log (seq, recorded_at, kind, subject, actor, payload, prev_hash, content_hash, signature, idem_key)
       SELECT * FROM ${unnestOf(first, ['bigint', 'timestamptz', 'text', 'text', 'text', 'jsonb', 'text', 'text', 'text', 'text'])}`;

function provenanceInsertParams(fresh: SignedEntry[]): unknown[][] {
  return [
    fresh.map((f) => f.entry.seq),
    fresh.map((f) => f.entry.recordedAt),
    fresh.map((f) => f.entry.kind),
    fresh.map((f) => f.entry.subject),
    fresh.map((f) => f.entry.actor),
    fresh.map((f) => f.payloadJson),
    fresh.map((f) => f.entry.prevHash),
    fresh.map((f) => f.entry.contentHash),
    fresh.map((f) => f.entry.signature),
    fresh.map((f) => f.idemKey),
  ];
}

/**
 * Entries without idempotency keys signed after `head` (read under APPEND_LOCK in the caller's
 * transaction), not yet written: the parameters of PROVENANCE_INSERT, for a statement that writes
 * them with rows of its own. The entries chain only once that statement commits.
 */
export function signedAfterHead(key: string, inputs: ProvenanceInput[], head: ProvenanceHead): unknown[][] {
  const entries = inputs.map(validEntry);
  if (entries.some((e) => e.idempotencyKey !== undefined))
    throw new Error('entries with idempotency keys are appended by appendProvenanceAfterHead');
  return provenanceInsertParams(signEntries(key, entries, head, new Map()).fresh);
}

export interface ChainVerification {
  ok: boolean;
  /** Entries verified (from `from`, when given). */
  entries: number;
  /** The last verified entry: its content hash and sequence number (0 and the genesis hash for none). */
  head: string;
  headSeq: number;
  firstBad?: { seq: number; reason: string };
}

/**
 * Walks the chain in order, in pages, and names the first entry that does not hold: the whole
 * chain, or only what follows `from` (an entry already verified, e.g. an anchored head).
 */
export async function verifyProvenanceChain(
  q: Queryable,
  key: string,
  opts: { from?: { seq: number; contentHash: string }; pageSize?: number } = {},
): Promise<ChainVerification> {
  const pageSize = opts.pageSize ?? 2000;
  let expectedPrev = opts.from?.contentHash ?? GENESIS_HASH;
  let expectedSeq = (opts.from?.seq ?? 0) + 1;
  let count = 0;
  for (;;) {
    const { rows } = await q.query<Row>(
      `SELECT ${ENTRY_COLUMNS} FROM provenance_log WHERE seq >= $1 ORDER BY seq LIMIT $2`,
      [expectedSeq, pageSize],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      const e = fromRow(row);
      const bad = (reason: string): ChainVerification => ({
        ok: false,
        entries: count,
        head: expectedPrev,
        headSeq: expectedSeq - 1,
        firstBad: { seq: e.seq, reason },
      });
      if (e.seq !== expectedSeq) return bad(`sequence gap: expected ${expectedSeq}`);
      if (e.prevHash !== expectedPrev) return bad('previous-hash link broken');
      const recomputed = contentHash({
        seq: e.seq,
        recordedAt: e.recordedAt,
        kind: e.kind,
        subject: e.subject,
        actor: e.actor,
        payload: e.payload,
        prevHash: e.prevHash,
      });
      if (recomputed !== e.contentHash) return bad('content hash does not match the entry');
      if (!signatureMatches(key, e.contentHash, e.signature))
        return bad('signature does not match (wrong key or forged entry)');
      expectedPrev = e.contentHash;
      expectedSeq += 1;
      count += 1;
    }
  }
  return { ok: true, entries: count, head: expectedPrev, headSeq: expectedSeq - 1 };
}

/** The sequence number of the newest entry (0 for an empty chain). */
export async function lastProvenanceSeq(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM provenance_log');
  return rows[0]?.seq ?? 0;
}

/** The content hashes stored at the given sequence numbers (absent ones are missing from the map). */
export async function provenanceHashesAt(q: Queryable, seqs: number[]): Promise<Map<number, string>> {
  const { rows } = await q.query<{ seq: number; content_hash: string }>(
    'SELECT seq, content_hash FROM provenance_log WHERE seq = ANY($1::bigint[])',
    [seqs],
  );
  return new Map(rows.map((r) => [r.seq, r.content_hash]));
}

/** `provenance list` and `GET /api/v1/provenance`: what to show, checked before it reaches SQL. */
export const provenanceFilter = z.strictObject({
  subject: storableText(KEY_TEXT_BYTES).optional(),
  kind: storableText(KEY_TEXT_BYTES).optional(),
  /** A principal's name, or `system` for entries no person made. */
  actor: storableText(KEY_TEXT_BYTES).optional(),
  since: z.iso.datetime({ offset: true, error: 'an ISO-8601 date-time, e.g. 2026-11-30T08:00:00Z' }).optional(),
  until: z.iso.datetime({ offset: true, error: 'an ISO-8601 date-time, e.g. 2026-11-30T08:00:00Z' }).optional(),
  /** Paging: only entries older than this sequence number (the previous page's `nextBefore`). */
  before: z.coerce
    .number({ error: 'a whole number' })
    .int('a whole number')
    .min(1, 'at least 1')
    .max(Number.MAX_SAFE_INTEGER)
    .optional(),
  limit: listLimit(100),
});

/**
 * The kind every action check appends, most of the log. Migration 019's kind index leaves it out;
 * a listing whose kind prefix cannot name it states `kind <> CHECKED_KIND`, which implies the
 * index's predicate (the prefix is a known value when the unnamed statement is planned).
 */
const CHECKED_KIND = "'action.checked'";

export async function listProvenance(
  q: Queryable,
  input: z.input<typeof provenanceFilter> = {},
): Promise<ProvenanceEntry[]> {
  const { rows } = await q.query<Row>(provenanceListQuery(input));
  return rows.map(fromRow);
}

/** listProvenance's statement for `input`; its plans are held by test/integration/provenance/list-plans.test.ts. */
export function provenanceListQuery(input: z.input<typeof provenanceFilter> = {}): { text: string; values: unknown[] } {
  const filter = provenanceFilter.parse(input);
  const system = filter.actor === 'system';
  return {
    text: `SELECT ${ENTRY_COLUMNS} FROM provenance_log
      WHERE ($1::text IS NULL OR subject = $1) AND ($2::text IS NULL OR kind LIKE $2 || '%')
        AND ($2::text IS NULL OR ${CHECKED_KIND} LIKE $2 || '%' OR kind <> ${CHECKED_KIND})
        AND ($3::text IS NULL OR actor = $3) AND (NOT $4::boolean OR actor IS NULL)
        AND ($5::timestamptz IS NULL OR recorded_at >= $5) AND ($6::timestamptz IS NULL OR recorded_at <= $6)
        AND ($7::bigint IS NULL OR seq < $7)
      ORDER BY seq DESC LIMIT $8`,
    values: [
      filter.subject ?? null,
      filter.kind ?? null,
      system ? null : (filter.actor ?? null),
      system,
      filter.since ?? null,
      filter.until ?? null,
      filter.before ?? null,
      filter.limit,
    ],
  };
}

/** One entry and the hash of the entry before it (for checking the link), by sequence number. */
export async function findProvenanceEntry(
  q: Queryable,
  seq: number,
): Promise<{ entry: ProvenanceEntry; previousHash: string | null } | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${ENTRY_COLUMNS} FROM provenance_log WHERE seq = $1`, [seq]);
  if (!rows[0]) return undefined;
  const prev = await q.query<{ content_hash: string }>('SELECT content_hash FROM provenance_log WHERE seq = $1', [
    seq - 1,
  ]);
  return { entry: fromRow(rows[0]), previousHash: seq === 1 ? GENESIS_HASH : (prev.rows[0]?.content_hash ?? null) };
}
