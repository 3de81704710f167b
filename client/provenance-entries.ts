import { z } from 'zod';
import { findProvenanceEntry, listProvenance, provenanceFilter, type ProvenanceEntry } from '../db/provenance/log';
import { notFound } from '../domain/errors';
import { contentHash, signatureMatches } from '../domain/non-workflow/provenance-entry-hash';
import type { WardenContext } from './context';

export { provenanceFilter, type ProvenanceEntry };

export interface ProvenancePage {
  entries: ProvenanceEntry[];
  /** Pass as `before` for the next (older) page; null when this page is the last. */
  nextBefore: number | null;
}

/**
 * `provenance list` and `GET /api/v1/provenance`: entries newest first, by subject, kind prefix,
 * actor (`system` for no person) and time range, a page at a time.
 */
export async function provenanceEntries(
  ctx: WardenContext,
  filter: z.input<typeof provenanceFilter> = {},
): Promise<ProvenanceEntry[]> {
  return listProvenance(ctx.pool, filter);
}

export async function provenancePage(
  ctx: WardenContext,
  filter: z.input<typeof provenanceFilter> = {},
): Promise<ProvenancePage> {
  const limit = provenanceFilter.parse(filter).limit;
  const entries = await listProvenance(ctx.pool, filter);
  return { entries, nextBefore: entries.length === limit ? entries.at(-1)!.seq : null };
}

export interface ProvenanceEntryDetail extends ProvenanceEntry {
  checks: { contentHash: boolean; signature: boolean; link: boolean | null };
}

/**
 * One entry in full (its payload: reasons, output hashes, approvers) with its own checks: the
 * content hash recomputed, the signature against this installation's key, and the link to the
 * entry before it (null when that entry is not there to compare).
 */
export async function provenanceEntry(ctx: WardenContext, seq: number): Promise<ProvenanceEntryDetail> {
  const n = z.coerce
    .number({ error: 'a whole number' })
    .int('a whole number')
    .min(1, 'at least 1')
    .max(Number.MAX_SAFE_INTEGER)
    .parse(seq);
  const found = await findProvenanceEntry(ctx.pool, n);
  if (!found) throw notFound(`provenance entry ${n}`);
  const e = found.entry;
  const recomputed = contentHash({
    seq: e.seq,
    recordedAt: e.recordedAt,
    kind: e.kind,
    subject: e.subject,
    actor: e.actor,
    payload: e.payload,
    prevHash: e.prevHash,
  });
  return {
    ...e,
    checks: {
      contentHash: recomputed === e.contentHash,
      signature: signatureMatches(ctx.provenanceKey, e.contentHash, e.signature),
      link: found.previousHash === null ? null : found.previousHash === e.prevHash,
    },
  };
}
