import type pg from 'pg';
import { withTransaction } from '../pool';
import { appendProvenance } from '../provenance/log';
import { chunksOf } from '../row-chunks';
import { IntakeBatchError, type IntakeBatch } from '../../domain/delegation/intake';
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

/**
 * Stores a parsed batch in one transaction: all rows or none. Rows already stored (same id) are
 * skipped, so re-sending a file is harmless. `onProgress` hears the rows written so far, chunk by
 * chunk; they count as stored only once the transaction commits.
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
      throw new IntakeBatchError(unknown.map((id) => ({ line: batch.abpLines[id] ?? 1, message: `abp_id: no ABP ${id} has been built` })));
    }
    let written = 0;
    /** Inserts `rows` a chunk at a time; `columns` gives one array per unnest parameter. */
    const insert = async <T>(rows: readonly T[], sql: string, columns: (chunk: T[]) => unknown[][]): Promise<number> => {
      let stored = 0;
      for (const chunk of chunksOf(rows)) {
        stored += (await tx.query(sql, columns(chunk))).rowCount ?? 0;
        written += chunk.length;
        onProgress?.(written, total, INGEST_PHASES.storing);
      }
      return stored;
    };
    onProgress?.(0, total, INGEST_PHASES.storing);
    // Rows naming an id an ABP was re-issued away from count for the ABP under its id now.
    const moved = await followAliases(tx, batch.abpIds);
    const to = (abpId: string) => moved.get(abpId) ?? abpId;
    const signals = await insert(batch.driftSignals, INSERT_SIGNALS, (rows) => [
      rows.map((s) => s.signal_id), rows.map((s) => to(s.abp_id)), rows.map((s) => s.type), rows.map((s) => s.severity),
      rows.map((s) => s.fingerprint.key), rows.map((s) => String(s.fingerprint.version)), rows.map((s) => s.observed_at), rows.map((s) => s.summary ?? null),
    ]);
    const runs = await insert(batch.coherenceRuns, INSERT_RUNS, (rows) => [
      rows.map((c) => c.run_id), rows.map((c) => to(c.abp_id)), rows.map((c) => c.score), rows.map((c) => c.observed_at),
    ]);
    const claims = await insert(batch.claims, INSERT_CLAIMS, (rows) => [
      rows.map((c) => to(c.abp_id)), rows.map((c) => c.claim_id), rows.map((c) => c.statement ?? null), rows.map((c) => c.expires_at), rows.map((c) => c.observed_at ?? null),
    ]);
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
