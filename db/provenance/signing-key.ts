import type pg from 'pg';
import { keyFingerprint, signatureMatches } from '../../domain/non-workflow/provenance-entry-hash';
import { withTransaction, type Queryable } from '../pool';
import { APPEND_LOCK } from './log';

const short = (fingerprint: string) => fingerprint.slice(0, 16);

/** This process holds another provenance key than the one the chain is signed with. */
export class ProvenanceKeyMismatchError extends Error {
  override name = 'ProvenanceKeyMismatchError';
  constructor(
    readonly fingerprint: string,
    readonly chainFingerprint: string | null,
    detail: string,
    refusing: 'start' | 'run' = 'start',
  ) {
    super(
      `refusing to ${refusing}: the provenance key of this process (fingerprint ${short(fingerprint)}…) is not the key the ` +
        `provenance chain is signed with (${detail}). Every Warden process on this database must use the same key: ` +
        'set WARDEN_PROVENANCE_KEY or WARDEN_PROVENANCE_KEY_FILE to the key the first process was started with.',
    );
  }
}

export interface SigningKeyClaim {
  fingerprint: string;
  /** True when this call recorded the fingerprint (the first process on this chain). */
  registered: boolean;
}

/**
 * Checks this process's provenance key against the one stored with the chain, or stores it when
 * the chain has none yet (a chain that already has entries only accepts the key its newest entry
 * verifies under). Runs under the append lock, so two processes starting together with different
 * keys cannot both register: the second one is refused.
 */
export async function claimSigningKey(pool: pg.Pool, key: string): Promise<SigningKeyClaim> {
  const fingerprint = keyFingerprint(key);
  return withTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK]);
    if (await refuseForeignKey(tx, fingerprint, 'start')) return { fingerprint, registered: false };
    const { rows: head } = await tx.query<{ seq: number; content_hash: string; signature: string }>(
      'SELECT seq, content_hash, signature FROM provenance_log ORDER BY seq DESC LIMIT 1',
    );
    const newest = head[0];
    if (newest && !signatureMatches(key, newest.content_hash, newest.signature)) {
      throw new ProvenanceKeyMismatchError(
        fingerprint,
        null,
        `its newest entry, ${newest.seq}, does not verify under this key`,
      );
    }
    await tx.query('INSERT INTO provenance_signing_keys (fingerprint, first_seq) VALUES ($1, 1)', [fingerprint]);
    return { fingerprint, registered: true };
  });
}

/**
 * For a short-lived process (the local CLI) that signs entries without registering a key: refused
 * when the chain records another key, so its entries are never written rather than flagged later
 * by `provenance verify`. A chain with no key recorded yet is left to the first long-running
 * process to claim. One read, no lock.
 */
export async function refuseForeignSigningKey(q: Queryable, key: string): Promise<void> {
  await refuseForeignKey(q, keyFingerprint(key), 'run');
}

/** True when the chain records this fingerprint, false when it records none; throws for another. */
async function refuseForeignKey(q: Queryable, fingerprint: string, refusing: 'start' | 'run'): Promise<boolean> {
  const { rows } = await q.query<{ fingerprint: string; registered_at: Date }>(
    'SELECT fingerprint, registered_at FROM provenance_signing_keys ORDER BY first_seq DESC LIMIT 1',
  );
  const chain = rows[0];
  if (!chain) return false;
  if (chain.fingerprint === fingerprint) return true;
  throw new ProvenanceKeyMismatchError(
    fingerprint,
    chain.fingerprint,
    `fingerprint ${short(chain.fingerprint)}…, recorded ${chain.registered_at.toISOString()}`,
    refusing,
  );
}
