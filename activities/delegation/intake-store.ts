import type pg from 'pg';
import { withTransaction } from '../../db/pool';
import { appendProvenance } from '../../db/provenance-log';
import type { IntakeBatch } from '../../domain/abp/intake';

export interface IntakeResult {
  driftSignals: { received: number; stored: number };
  coherenceRuns: { received: number; stored: number };
  claims: { received: number; stored: number };
  abpIds: string[];
}

/**
 * Stores a parsed batch in one transaction: all rows or none. Rows already stored (same id) are
 * skipped, so re-sending a file is harmless.
 */
export async function storeIntakeBatch(deps: { pool: pg.Pool; provenanceKey: string }, batch: IntakeBatch, actor: string | null): Promise<IntakeResult> {
  return withTransaction(deps.pool, async (tx) => {
    let signals = 0;
    for (const s of batch.driftSignals) {
      const r = await tx.query(
        `INSERT INTO drift_signals (signal_id, abp_id, type, severity, fingerprint_key, fingerprint_version, observed_at, summary)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (signal_id) DO NOTHING`,
        [s.signal_id, s.abp_id, s.type, s.severity, s.fingerprint.key, String(s.fingerprint.version), s.observed_at, s.summary ?? null],
      );
      signals += r.rowCount ?? 0;
    }
    let runs = 0;
    for (const c of batch.coherenceRuns) {
      const r = await tx.query(
        `INSERT INTO coherence_runs (run_id, abp_id, score, observed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO NOTHING`,
        [c.run_id, c.abp_id, c.score, c.observed_at],
      );
      runs += r.rowCount ?? 0;
    }
    let claims = 0;
    for (const c of batch.claims) {
      const r = await tx.query(
        `INSERT INTO claims (abp_id, claim_id, statement, expires_at, observed_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (abp_id, claim_id) DO NOTHING`,
        [c.abp_id, c.claim_id, c.statement ?? null, c.expires_at, c.observed_at ?? null],
      );
      claims += r.rowCount ?? 0;
    }
    const result: IntakeResult = {
      driftSignals: { received: batch.driftSignals.length, stored: signals },
      coherenceRuns: { received: batch.coherenceRuns.length, stored: runs },
      claims: { received: batch.claims.length, stored: claims },
      abpIds: batch.abpIds,
    };
    if (signals + runs + claims > 0) {
      await appendProvenance(tx, deps.provenanceKey, {
        kind: 'evidence.ingested',
        subject: `abp:${batch.abpIds.join(',')}`,
        actor,
        payload: { drift_signals: signals, coherence_runs: runs, claims },
      });
    }
    return result;
  });
}
