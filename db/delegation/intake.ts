import type pg from 'pg';
import { TOKEN_REFUSAL_SQL, TokenRefusedError } from '../access/api-tokens';
import { principalName, UnknownPrincipalError } from '../access/principals';
import { withTransaction, type Queryable } from '../pool';
import {
  APPEND_LOCK,
  appendProvenanceAfterHead,
  PROVENANCE_HEAD_COLUMNS,
  PROVENANCE_INSERT,
  provenanceHeadOf,
  signedAfterHead,
  signEntriesAfter,
  type ProvenanceHead,
  type ProvenanceInput,
} from '../provenance/log';
import { AT_HEAD_OK, jsonbLiteral, preparedWriteAtHead } from '../provenance/write-at-head';
import { chunksOf, ROWS_PER_STATEMENT, unnestOf } from '../row-chunks';
import {
  describeIntakeRefusal,
  IntakeBatchError,
  type IntakeBatch,
  type IntakeProblem,
} from '../../domain/delegation/intake';
import { conflict } from '../../domain/errors';
import { INGEST_PHASES, type ProgressCallback } from '../../domain/progress';

export interface IntakeResult {
  driftSignals: { received: number; stored: number };
  coherenceRuns: { received: number; stored: number };
  claims: { received: number; stored: number };
  abpIds: string[];
}

// One multi-row INSERT per chunk and kind. ON CONFLICT DO NOTHING also skips a row repeated
// within the same statement, so identical rows in one file store once. `p` numbers the first
// parameter, so the flush's single statement can hold all three.
const INSERT_SIGNALS = (
  p = 1,
) => `INSERT INTO drift_signals (signal_id, abp_id, type, severity, fingerprint_key, fingerprint_version, observed_at, summary)
  SELECT * FROM ${unnestOf(p, ['text', 'text', 'text', 'text', 'text', 'text', 'timestamptz', 'text'])}
  ON CONFLICT (signal_id) DO NOTHING`;
const INSERT_RUNS = (p = 1) => `INSERT INTO coherence_runs (run_id, abp_id, score, observed_at)
  SELECT * FROM ${unnestOf(p, ['text', 'text', 'float8', 'timestamptz'])}
  ON CONFLICT (run_id) DO NOTHING`;
const INSERT_CLAIMS = (p = 1) => `INSERT INTO claims (abp_id, claim_id, statement, expires_at, observed_at)
  SELECT * FROM ${unnestOf(p, ['text', 'text', 'text', 'timestamptz', 'timestamptz'])}
  ON CONFLICT (abp_id, claim_id) DO NOTHING`;

/**
 * A whole flush's writes in one statement (data-modifying CTEs): each kind's rows and the
 * provenance entries, answering how many rows of each kind were inserted. Used when every kind
 * fits one chunk and no row is expected to be skipped: the entries say what each item stored.
 */
const INSERT_ALL = `WITH s AS (${INSERT_SIGNALS(1)} RETURNING 1),
       r AS (${INSERT_RUNS(9)} RETURNING 1),
       c AS (${INSERT_CLAIMS(13)} RETURNING 1),
       p AS (${PROVENANCE_INSERT(18)})
  SELECT (SELECT count(*) FROM s)::int AS signals, (SELECT count(*) FROM r)::int AS runs, (SELECT count(*) FROM c)::int AS claims`;

type To = (abpId: string) => string;
const signalColumns = (rows: readonly IntakeBatch['driftSignals'][number][], to: To) => [
  rows.map((s) => s.signal_id),
  rows.map((s) => to(s.abp_id)),
  rows.map((s) => s.type),
  rows.map((s) => s.severity),
  rows.map((s) => s.fingerprint.key),
  rows.map((s) => String(s.fingerprint.version)),
  rows.map((s) => s.observed_at),
  rows.map((s) => s.summary ?? null),
];
const runColumns = (rows: readonly IntakeBatch['coherenceRuns'][number][], to: To) => [
  rows.map((c) => c.run_id),
  rows.map((c) => to(c.abp_id)),
  rows.map((c) => c.score),
  rows.map((c) => c.observed_at),
];
const claimColumns = (rows: readonly IntakeBatch['claims'][number][], to: To) => [
  rows.map((c) => to(c.abp_id)),
  rows.map((c) => c.claim_id),
  rows.map((c) => c.statement ?? null),
  rows.map((c) => c.expires_at),
  rows.map((c) => c.observed_at ?? null),
];

// A row skipped by ON CONFLICT is compared with the stored row of its id: the same content is a
// harmless repeat, anything else refuses the batch. `n` is the row's place in the chunk.
const STORED_SIGNALS_DIFFER = `SELECT i.n FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
    WITH ORDINALITY AS i (signal_id, abp_id, type, severity, fingerprint_key, fingerprint_version, observed_at, summary, n)
  JOIN drift_signals s ON s.signal_id = i.signal_id
 WHERE (s.abp_id, s.type, s.severity, s.fingerprint_key, s.fingerprint_version, s.observed_at, s.summary)
       IS DISTINCT FROM (i.abp_id, i.type, i.severity, i.fingerprint_key, i.fingerprint_version, i.observed_at, i.summary)
 ORDER BY i.n`;
const STORED_RUNS_DIFFER = `SELECT i.n FROM unnest($1::text[], $2::text[], $3::float8[], $4::timestamptz[])
    WITH ORDINALITY AS i (run_id, abp_id, score, observed_at, n)
  JOIN coherence_runs s ON s.run_id = i.run_id
 WHERE (s.abp_id, s.score, s.observed_at) IS DISTINCT FROM (i.abp_id, i.score, i.observed_at)
 ORDER BY i.n`;
const STORED_CLAIMS_DIFFER = `SELECT i.n FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
    WITH ORDINALITY AS i (abp_id, claim_id, statement, expires_at, observed_at, n)
  JOIN claims s ON s.abp_id = i.abp_id AND s.claim_id = i.claim_id
 WHERE (s.statement, s.expires_at, s.observed_at) IS DISTINCT FROM (i.statement, i.expires_at, i.observed_at)
 ORDER BY i.n`;

const MAX_REPORTED_CONFLICTS = 20;

/** One request's parsed batch and who sent it. */
export interface IntakeItem {
  batch: IntakeBatch;
  actor: string | null;
  /** The API token the sender was authenticated with from a cache: stored only while it holds. */
  tokenId?: string | null;
}

/**
 * What a flush needs to know before it writes, in one statement: which ABP ids were ever built and
 * where re-issued ones moved, which actors are principals, which cached tokens no longer hold, and
 * the provenance chain's head (the transaction took APPEND_LOCK before it: withTransaction's `lock`).
 */
async function intakeTargets(q: Queryable, abpIds: readonly string[], actors: string[], tokenIds: string[]) {
  const { rows } = await q.query<{
    ids: { id: string; known: boolean; moved: string | null }[] | null;
    actors: string[] | null;
    refused: { id: string; refusal: string }[] | null;
    head_seq: number | null;
    head_hash: string | null;
  }>(
    `SELECT (SELECT json_agg(json_build_object(
                     'id', a.id,
                     'known', EXISTS (SELECT 1 FROM abp_versions v WHERE v.abp_id = a.id),
                     'moved', (SELECT m.new_id FROM abp_id_aliases m WHERE m.old_id = a.id)))
               FROM unnest($1::text[]) AS a(id)) AS ids,
            (SELECT array_agg(p.name) FROM principals p WHERE p.name = ANY($2::text[])) AS actors,
            (SELECT json_agg(json_build_object('id', i.id, 'refusal', ${TOKEN_REFUSAL_SQL('t')}))
               FROM unnest($3::text[]) AS i(id) LEFT JOIN api_tokens t ON t.id = i.id
              WHERE ${TOKEN_REFUSAL_SQL('t')} IS NOT NULL) AS refused,
            ${PROVENANCE_HEAD_COLUMNS}`,
    [abpIds, actors, tokenIds],
  );
  const row = rows[0]!;
  const ids = row.ids ?? [];
  return {
    known: new Set(ids.filter((r) => r.known).map((r) => r.id)),
    moved: new Map(ids.filter((r) => r.moved !== null).map((r) => [r.id, r.moved!])),
    actors: new Set(row.actors ?? []),
    refusedTokens: new Map((row.refused ?? []).map((r) => [r.id, r.refusal])),
    provenanceHead: provenanceHeadOf(row),
  };
}

/**
 * Thrown by storeIntakeBatches for several items when one of them cannot be settled as if it were
 * alone (an unknown ABP, a row skipped as already stored): nothing is kept, and the caller stores
 * each item in a transaction of its own, which answers each with its own result or refusal.
 */
export class IntakeNeedsOwnTransaction extends Error {
  constructor() {
    super('an intake item needs a transaction of its own');
    this.name = 'IntakeNeedsOwnTransaction';
  }
}

/**
 * Stores a parsed batch in one transaction: all rows or none. A row whose id is already stored
 * with the same content is skipped, so re-sending a file is harmless; one whose id is stored with
 * different content refuses the batch (409, naming its line and id), since keeping either row
 * would silently lose the other. `onProgress` hears the rows written so far, chunk by chunk; they
 * count as stored only once the transaction commits.
 */
export async function storeIntakeBatch(
  deps: { pool: pg.Pool; provenanceKey: string },
  batch: IntakeBatch,
  actor: string | null,
  onProgress?: ProgressCallback,
): Promise<IntakeResult> {
  return (await storeIntakeBatches(deps, [{ batch, actor }], onProgress))[0]!;
}

/**
 * Stores several requests' batches in one transaction (intake's group commit): one statement per
 * kind and chunk for all of them, one provenance entry per item appended in one INSERT, and the
 * transaction's BEGIN, provenance lock and head read folded into two round trips. With more than
 * one item, any item that would not be stored whole and alone throws IntakeNeedsOwnTransaction.
 */
export async function storeIntakeBatches(
  deps: { pool: pg.Pool; provenanceKey: string },
  items: IntakeItem[],
  onProgress?: ProgressCallback,
): Promise<IntakeResult[]> {
  return (await storeIntakeBatchesLeavingHead(deps, items, onProgress)).results;
}

/** storeIntakeBatches, also answering the chain head its transaction left (for storeIntakeAtHead next). */
export async function storeIntakeBatchesLeavingHead(
  deps: { pool: pg.Pool; provenanceKey: string },
  items: IntakeItem[],
  onProgress?: ProgressCallback,
): Promise<{ results: IntakeResult[]; head: ProvenanceHead }> {
  const alone = items.length === 1;
  const batch: IntakeBatch = alone ? items[0]!.batch : mergedBatch(items.map((i) => i.batch));
  // A batch that fits one statement per kind (and no caller following chunks) is written in one
  // statement with its entries; an item it stored in part (a repeat) goes again the careful way.
  const fits = [batch.driftSignals, batch.coherenceRuns, batch.claims].every((r) => r.length <= ROWS_PER_STATEMENT);
  if (!onProgress && fits) {
    try {
      return await storeIn(deps, items, batch, { oneStatement: true });
    } catch (error) {
      if (!(error instanceof StoredInPart)) throw error;
    }
  }
  return storeIn(deps, items, batch, { oneStatement: false, onProgress });
}

/**
 * A flush in one round trip (preparedWriteAtHead, as the action checks' group commit does): the items'
 * rows and their `evidence.ingested` entries, signed in advance after `head` (the chain head the
 * last flush left), written in one simple-protocol message only if every item would be stored
 * whole and as if alone: every ABP id built and not re-issued away, every actor a principal,
 * every cached token holding, no row's id already stored or repeated in the batch, and `head`
 * still the chain's head. Null (nothing written) otherwise: the caller takes storeIntakeBatches'
 * transaction, which settles each of those cases. Answers the results and the head it left.
 */
export async function storeIntakeAtHead(
  pool: pg.Pool,
  provenanceKey: string,
  items: IntakeItem[],
  head: ProvenanceHead,
): Promise<{ results: IntakeResult[]; head: ProvenanceHead } | null> {
  const batch = items.length === 1 ? items[0]!.batch : mergedBatch(items.map((i) => i.batch));
  const distinct = <T>(rows: readonly T[], key: (r: T) => string) => new Set(rows.map(key)).size === rows.length;
  const actors = [...new Set(items.flatMap((i) => (i.actor === null ? [] : [i.actor])))];
  if (
    // A batch larger than one statement per kind goes the careful way, a chunk at a time.
    ![batch.driftSignals, batch.coherenceRuns, batch.claims].every((r) => r.length <= ROWS_PER_STATEMENT) ||
    !distinct(batch.driftSignals, (s) => s.signal_id) ||
    !distinct(batch.coherenceRuns, (c) => c.run_id) ||
    !distinct(batch.claims, (c) => JSON.stringify([c.abp_id, c.claim_id])) ||
    !actors.every((a) => principalName.safeParse(a).success)
  )
    return null;
  const results = resultsOf(items, (id) => id);
  const entries = signEntriesAfter(provenanceKey, entriesOf(results, items), head);
  const rows = (columns: unknown[][], names: readonly string[]) =>
    jsonbLiteral(columns[0]!.map((_, i) => Object.fromEntries(names.map((n, c) => [n, columns[c]![i]]))));
  const same = (id: string) => id;
  const tokenIds = [...new Set(items.flatMap((i) => (i.tokenId ? [i.tokenId] : [])))];
  const written = await intakeAtHead(
    pool,
    [
      rows(signalColumns(batch.driftSignals, same), SIGNAL_NAMES),
      rows(runColumns(batch.coherenceRuns, same), RUN_NAMES),
      rows(claimColumns(batch.claims, same), CLAIM_NAMES),
      jsonbLiteral(batch.abpIds),
      jsonbLiteral(actors),
      jsonbLiteral(tokenIds),
    ],
    entries,
    head,
  );
  if (!written) return null;
  if (
    written.signals !== batch.driftSignals.length ||
    written.runs !== batch.coherenceRuns.length ||
    written.claims !== batch.claims.length
  )
    throw new Error(`the one-round-trip intake flush stored ${JSON.stringify(written)} of ${items.length} items`);
  return { results, head: entries.at(-1) ?? head };
}

const SIGNAL_NAMES = [
  'signal_id',
  'abp_id',
  'type',
  'severity',
  'fingerprint_key',
  'fingerprint_version',
  'observed_at',
  'summary',
] as const;
const RUN_NAMES = ['run_id', 'abp_id', 'score', 'observed_at'] as const;
const CLAIM_NAMES = ['abp_id', 'claim_id', 'statement', 'expires_at', 'observed_at'] as const;

/**
 * storeIntakeAtHead's statement, prepared once per database session (preparedWriteAtHead): $1-$3
 * the drift signals, coherence runs and claims (jsonb arrays of objects), $4 the ABP ids, $5 the
 * actors, $6 the token ids (jsonb arrays of text).
 */
const intakeAtHead = preparedWriteAtHead('warden_store_intake', {
  parameterTypes: ['jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb'],
  inputs: `sig AS (SELECT * FROM jsonb_to_recordset($1)
         AS u(signal_id text, abp_id text, type text, severity text, fingerprint_key text, fingerprint_version text,
              observed_at timestamptz, summary text)),
     run AS (SELECT * FROM jsonb_to_recordset($2) AS u(run_id text, abp_id text, score float8, observed_at timestamptz)),
     clm AS (SELECT * FROM jsonb_to_recordset($3)
         AS u(abp_id text, claim_id text, statement text, expires_at timestamptz, observed_at timestamptz)),
     abp AS (SELECT jsonb_array_elements_text($4) AS id),
     who AS (SELECT jsonb_array_elements_text($5) AS name),
     tok AS (SELECT jsonb_array_elements_text($6) AS id)`,
  ready: `NOT EXISTS (SELECT 1 FROM abp a WHERE NOT EXISTS (SELECT 1 FROM abp_versions v WHERE v.abp_id = a.id)
                                          OR EXISTS (SELECT 1 FROM abp_id_aliases m WHERE m.old_id = a.id))
      AND NOT EXISTS (SELECT 1 FROM who w WHERE NOT EXISTS (SELECT 1 FROM principals p WHERE p.name = w.name))
      AND NOT EXISTS (SELECT 1 FROM tok i LEFT JOIN api_tokens t ON t.id = i.id WHERE ${TOKEN_REFUSAL_SQL('t')} IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM sig i JOIN drift_signals s ON s.signal_id = i.signal_id)
      AND NOT EXISTS (SELECT 1 FROM run i JOIN coherence_runs s ON s.run_id = i.run_id)
      AND NOT EXISTS (SELECT 1 FROM clm i JOIN claims s ON s.abp_id = i.abp_id AND s.claim_id = i.claim_id)`,
  // No ON CONFLICT: under the provenance lock the checks above hold, and were one to fail the
  // whole message would be undone rather than leave entries claiming rows it skipped.
  writes: {
    signals: `INSERT INTO drift_signals (${SIGNAL_NAMES.join(', ')}) SELECT * FROM sig WHERE ${AT_HEAD_OK} RETURNING 1`,
    runs: `INSERT INTO coherence_runs (${RUN_NAMES.join(', ')}) SELECT * FROM run WHERE ${AT_HEAD_OK} RETURNING 1`,
    claims: `INSERT INTO claims (${CLAIM_NAMES.join(', ')}) SELECT * FROM clm WHERE ${AT_HEAD_OK} RETURNING 1`,
  },
});

/** The one-statement write of a single item stored fewer rows than it received: nothing is kept. */
class StoredInPart extends Error {}

async function storeIn(
  deps: { pool: pg.Pool; provenanceKey: string },
  items: IntakeItem[],
  batch: IntakeBatch,
  opts: { oneStatement: boolean; onProgress?: ProgressCallback },
): Promise<{ results: IntakeResult[]; head: ProvenanceHead }> {
  const { onProgress } = opts;
  const alone = items.length === 1;
  const total = batch.driftSignals.length + batch.coherenceRuns.length + batch.claims.length;
  return withTransaction(
    deps.pool,
    async (tx) => {
      // A name no principal could have (e.g. one with a NUL) never reaches the query: it is unknown.
      const actors = [
        ...new Set(
          items.flatMap((i) => (i.actor !== null && principalName.safeParse(i.actor).success ? [i.actor] : [])),
        ),
      ];
      const tokenIds = [...new Set(items.flatMap((i) => (i.tokenId ? [i.tokenId] : [])))];
      const { known, moved, provenanceHead, ...who } = await intakeTargets(tx, batch.abpIds, actors, tokenIds);
      // Who sends first: a refused token or an unknown actor refuses its item before its rows are read.
      for (const { actor, tokenId } of items) {
        const refusal = tokenId ? who.refusedTokens.get(tokenId) : undefined;
        const unknownActor = actor !== null && !who.actors.has(actor);
        if ((refusal || unknownActor) && !alone) throw new IntakeNeedsOwnTransaction();
        if (refusal) throw new TokenRefusedError(refusal);
        if (unknownActor) throw new UnknownPrincipalError(actor);
      }
      // Evidence about an ABP nobody built would count towards nothing, or towards an ABP built later
      // under that id: refused, naming the first line of each unknown id.
      const unknown = batch.abpIds.filter((id) => !known.has(id));
      if (unknown.length > 0) {
        if (!alone) throw new IntakeNeedsOwnTransaction();
        throw new IntakeBatchError(
          unknown.map((id) => ({ line: batch.abpLines[id] ?? 1, message: `abp_id: no ABP ${id} has been built` })),
        );
      }
      // Rows naming an id an ABP was re-issued away from count for the ABP under its id now.
      const to = (abpId: string) => moved.get(abpId) ?? abpId;
      if (opts.oneStatement) {
        // Each item is taken to store all it received: the entries say so, and a statement that
        // stored fewer rows is undone (the item, or each item alone, goes again).
        const results = resultsOf(items, to);
        const entries = signedAfterHead(deps.provenanceKey, entriesOf(results, items), provenanceHead);
        const { rows } = await tx.query<{ signals: number; runs: number; claims: number }>(INSERT_ALL, [
          ...signalColumns(batch.driftSignals, to),
          ...runColumns(batch.coherenceRuns, to),
          ...claimColumns(batch.claims, to),
          ...entries,
        ]);
        const stored = rows[0]!;
        const whole =
          stored.signals === batch.driftSignals.length &&
          stored.runs === batch.coherenceRuns.length &&
          stored.claims === batch.claims.length;
        if (!whole) throw alone ? new StoredInPart() : new IntakeNeedsOwnTransaction();
        // PROVENANCE_INSERT's parameters: the sequence numbers first, the content hashes eighth.
        const [seqs, hashes] = [entries[0]!, entries[7]!];
        const head = seqs.length
          ? { seq: seqs.at(-1) as number, contentHash: hashes.at(-1) as string }
          : provenanceHead;
        return { results, head };
      }
      let written = 0;
      const conflicts: IntakeProblem[] = [];
      /**
       * Inserts `rows` a chunk at a time; `columns` gives one array per unnest parameter. When a
       * chunk stores fewer rows than it has, the skipped ones are compared with what is stored.
       */
      const insert = async <T>(
        rows: readonly T[],
        lines: readonly number[],
        sql: string,
        differ: string,
        columns: (chunk: T[]) => unknown[][],
        key: (row: T) => string,
      ): Promise<number> => {
        let stored = 0;
        let offset = 0;
        for (const chunk of chunksOf(rows)) {
          const params = columns(chunk);
          const inserted = (await tx.query(sql, params)).rowCount ?? 0;
          stored += inserted;
          // Which item a skipped row belongs to is not known here: each item goes again alone.
          if (inserted < chunk.length && !alone) throw new IntakeNeedsOwnTransaction();
          if (inserted < chunk.length && conflicts.length < MAX_REPORTED_CONFLICTS) {
            const differing = await tx.query<{ n: string }>(differ, params);
            for (const { n } of differing.rows) {
              const i = Number(n) - 1;
              conflicts.push({
                line: lines[offset + i] ?? 0,
                message: `${key(chunk[i]!)} is already stored with different content`,
              });
            }
          }
          offset += chunk.length;
          written += chunk.length;
          onProgress?.(written, total, INGEST_PHASES.storing);
        }
        return stored;
      };
      onProgress?.(0, total, INGEST_PHASES.storing);
      const signals = await insert(
        batch.driftSignals,
        batch.lines.driftSignals,
        INSERT_SIGNALS(),
        STORED_SIGNALS_DIFFER,
        (rows) => signalColumns(rows, to),
        (s) => `signal_id ${s.signal_id}`,
      );
      const runs = await insert(
        batch.coherenceRuns,
        batch.lines.coherenceRuns,
        INSERT_RUNS(),
        STORED_RUNS_DIFFER,
        (rows) => runColumns(rows, to),
        (c) => `run_id ${c.run_id}`,
      );
      const claims = await insert(
        batch.claims,
        batch.lines.claims,
        INSERT_CLAIMS(),
        STORED_CLAIMS_DIFFER,
        (rows) => claimColumns(rows, to),
        (c) => `claim_id ${c.claim_id} of ${c.abp_id}`,
      );
      // Thrown inside the transaction: nothing of the batch is kept.
      if (conflicts.length > 0) {
        const shown = conflicts.sort((a, b) => a.line - b.line).slice(0, MAX_REPORTED_CONFLICTS);
        throw conflict(describeIntakeRefusal(shown), shown);
      }
      const results = resultsOf(items, to, alone ? { signals, runs, claims } : undefined);
      const entries = entriesOf(results, items);
      const appended = await appendProvenanceAfterHead(tx, deps.provenanceKey, entries, provenanceHead);
      return { results, head: appended.at(-1) ?? provenanceHead };
    },
    { lock: APPEND_LOCK },
  );
}

/**
 * Each item's result: what it received and stored (`storedAlone`: the counts of a single item
 * stored alone; without it, each stored what it received, as several items stored together did,
 * anything less having gone again alone), under the ids its ABPs have now.
 */
function resultsOf(
  items: IntakeItem[],
  to: To,
  storedAlone?: { signals: number; runs: number; claims: number },
): IntakeResult[] {
  return items.map(({ batch: own }): IntakeResult => {
    const count = (received: number, stored?: number) => ({ received, stored: stored ?? received });
    return {
      driftSignals: count(own.driftSignals.length, storedAlone?.signals),
      coherenceRuns: count(own.coherenceRuns.length, storedAlone?.runs),
      claims: count(own.claims.length, storedAlone?.claims),
      abpIds: [...new Set(own.abpIds.map(to))],
    };
  });
}

/** One `evidence.ingested` entry per item that stored any row. */
function entriesOf(results: IntakeResult[], items: IntakeItem[]): ProvenanceInput[] {
  return results.flatMap((result, i) => {
    const { driftSignals, coherenceRuns, claims: stored } = result;
    if (driftSignals.stored + coherenceRuns.stored + stored.stored === 0) return [];
    return [
      {
        kind: 'evidence.ingested',
        subject: `abp:${result.abpIds.join(',')}`,
        actor: items[i]!.actor,
        payload: {
          drift_signals: driftSignals.stored,
          coherence_runs: coherenceRuns.stored,
          claims: stored.stored,
        },
      },
    ];
  });
}

/** Several batches as one (their line numbers are each request's own: only a single item reports them). */
function mergedBatch(batches: IntakeBatch[]): IntakeBatch {
  const all = <K extends 'driftSignals' | 'coherenceRuns' | 'claims'>(k: K) =>
    batches.flatMap((b) => b[k] as IntakeBatch[K][number][]) as IntakeBatch[K];
  const lines = <K extends keyof IntakeBatch['lines']>(k: K) => batches.flatMap((b) => b.lines[k]);
  return {
    ...batches[0]!,
    driftSignals: all('driftSignals'),
    coherenceRuns: all('coherenceRuns'),
    claims: all('claims'),
    abpIds: [...new Set(batches.flatMap((b) => b.abpIds))],
    abpLines: Object.assign({}, ...batches.map((b) => b.abpLines)),
    lines: { driftSignals: lines('driftSignals'), coherenceRuns: lines('coherenceRuns'), claims: lines('claims') },
  };
}
