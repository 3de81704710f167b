import type { z } from 'zod';
import { listProvenance, provenanceFilter, type ProvenanceEntry } from '../db/provenance/log';
import type { WardenContext } from './context';

export { provenanceFilter, type ProvenanceEntry };

/** `provenance list` and `GET /api/v1/provenance`: recent entries, newest first, by subject and kind prefix. */
export function provenanceEntries(ctx: WardenContext, filter: z.input<typeof provenanceFilter> = {}): Promise<ProvenanceEntry[]> {
  return listProvenance(ctx.pool, filter);
}
