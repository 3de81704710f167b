import type pg from 'pg';
import type { WardenConfig } from '../config/env';
import { resolveProvenanceKey } from '../config/provenance-key';
import { claimSigningKey, refuseForeignSigningKey, type SigningKeyClaim } from '../db/provenance/signing-key';
import type { WardenContext } from './context';

/**
 * The provenance key a long-running process (worker, HTTP API) signs with: the configured one (or
 * the embedded default's generated one), checked against the fingerprint stored with the chain, or
 * recorded there by the first process. Throws ProvenanceKeyRequiredError or
 * ProvenanceKeyMismatchError, whose messages say what to set: the process must not start.
 */
export async function checkedProvenanceKey(
  config: WardenConfig,
  pool: pg.Pool,
): Promise<{ key: string } & SigningKeyClaim> {
  const key = await resolveProvenanceKey(config);
  return { key, ...(await claimSigningKey(pool, key)) };
}

/** The local CLI's check before it runs a command: its key must be the chain's (see refuseForeignSigningKey). */
export async function refuseForeignCliKey(ctx: Pick<WardenContext, 'pool' | 'provenanceKey'>): Promise<void> {
  await refuseForeignSigningKey(ctx.pool, ctx.provenanceKey);
}
