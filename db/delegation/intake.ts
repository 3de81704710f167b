import type pg from 'pg';
import { withTransaction } from '../pool';
import { appendProvenance } from '../provenance/log';
import { chunksOf } from '../row-chunks';
import {
  describeIntakeRefusal,
  IntakeBatchError,
  type IntakeBatch,
  type IntakeProblem,
} from '../../domain/delegation/intake';
import { conflict } from '../../domain/errors';
import { INGEST_PHASES, type ProgressCallback } from '../../domain/progress';
import { followAliases, knownAbpIds } from './abps';

export interface IntakeResult {
  driftSignals: { received: number; stored: number };
  coherenceRuns: { received: number; stored: number };
  claims: { received: number; stored: number };
  abpIds: string[];
}

// One multi-row INSERT per chunk and kind. ON CONFLICT DO NOTHING also skips a row repeated
// within the same statement, so identical rows in one file store once.
const INSERT_SIGNALS = `INSERT INTO drift_signals (signal_id, abp_id, type, severity, fingerprint_key, fingerprint_version, observed_at, summary)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[])
  ON CONFLICT (signal_id) DO NOTHING`;
const INSERT_RUNS = `INSERT INTO coherence_runs (run_id, abp_id, score, observed_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::timestamptz[])
  ON CONFLICT (run_id) DO NOTHING`;
const INSERT_CLAIMS = `INSERT INTO claims (abp_id, claim_id, statement, expires_at, observed_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
  ON CONFLICT (abp_id, claim_id) DO NOTHING`;

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
  const total = batch.driftSignals.length + batch.coherenceRuns.length + batch.claims.length;
  return withTransaction(deps.pool, async (tx) => {
    // Evidence about an ABP nobody built would count towards nothing, or towards an ABP built later
    // under that id: refused, naming the first line of each unknown id.
    const known = await knownAbpIds(tx, batch.abpIds);
    const unknown = batch.abpIds.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new IntakeBatchError(
        unknown.map((id) => ({ line: batch.abpLines[id] ?? 1, message: `abp_id: no ABP ${id} has been built` })),
      );
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
    // Rows naming an id an ABP was re-issued away from count for the ABP under its id now.
    const moved = await followAliases(tx, batch.abpIds);
    const to = (abpId: string) => moved.get(abpId) ?? abpId;
    const signals = await insert(
      batch.driftSignals,
      batch.lines.driftSignals,
      INSERT_SIGNALS,
      STORED_SIGNALS_DIFFER,
      (rows) => [
        rows.map((s) => s.signal_id),
        rows.map((s) => to(s.abp_id)),
        rows.map((s) => s.type),
        rows.map((s) => s.severity),
        rows.map((s) => s.fingerprint.key),
        rows.map((s) => String(s.fingerprint.version)),
        rows.map((s) => s.observed_at),
        rows.map((s) => s.summary ?? null),
      ],
      (s) => `signal_id ${s.signal_id}`,
    );
    const runs = await insert(
      batch.coherenceRuns,
      batch.lines.coherenceRuns,
      INSERT_RUNS,
      STORED_RUNS_DIFFER,
      (rows) => [
        rows.map((c) => c.run_id),
        rows.map((c) => to(c.abp_id)),
        rows.map((c) => c.score),
        rows.map((c) => c.observed_at),
      ],
      (c) => `run_id ${c.run_id}`,
    );
    const claims = await insert(
      batch.claims,
      batch.lines.claims,
      INSERT_CLAIMS,
      STORED_CLAIMS_DIFFER,
      (rows) => [
        rows.map((c) => to(c.abp_id)),
        rows.map((c) => c.claim_id),
        rows.map((c) => c.statement ?? null),
        rows.map((c) => c.expires_at),
        rows.map((c) => c.observed_at ?? null),
      ],
      (c) => `claim_id ${c.claim_id} of ${c.abp_id}`,
    );
    // Thrown inside the transaction: nothing of the batch is kept.
    if (conflicts.length > 0) {
      const shown = conflicts.sort((a, b) => a.line - b.line).slice(0, MAX_REPORTED_CONFLICTS);
      throw conflict(describeIntakeRefusal(shown), shown);
    }
    const result: IntakeResult = {
      driftSignals: { received: batch.driftSignals.length, stored: signals },
      coherenceRuns: { received: batch.coherenceRuns.length, stored: runs },
      claims: { received: batch.claims.length, stored: claims },
      abpIds: [...new Set(batch.abpIds.map(to))],
    };
    if (signals + runs + claims > 0) {
      await appendProvenance(tx, deps.provenanceKey, {
        kind: 'evidence.ingested',
        subject: `abp:${result.abpIds.join(',')}`,
        actor,
        payload: { drift_signals: signals, coherence_runs: runs, claims },
      });
    }
    return result;
  });
}
