import type { Queryable } from '../pool';
import { notFound } from '../../domain/errors';
import { buildManifest, type ReviewedFeedbackManifest } from '../../domain/guard/manifest';
import { formatSourceRef, parseSourceRef } from '../../domain/guard/source-ref';
import { selectReviewedEvidence } from './feedback';

/**
 * Builds the manifest for a source ref from the store and keeps it (content-addressed, so storing
 * the same evidence again changes nothing). The source ref is kept in its canonical spelling.
 */
export async function buildAndStoreManifest(q: Queryable, sourceRef: string): Promise<ReviewedFeedbackManifest> {
  const selection = parseSourceRef(sourceRef);
  const canonical = formatSourceRef(selection);
  const manifest = buildManifest(canonical, await selectReviewedEvidence(q, selection));
  await q.query(
    `INSERT INTO guard_manifests (manifest_id, source_ref, event_count, label_counts, reviewer_ids, event_refs)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (manifest_id) DO NOTHING`,
    [
      manifest.manifest_id,
      manifest.source_ref,
      manifest.event_count,
      JSON.stringify(manifest.label_counts),
      JSON.stringify(manifest.reviewer_ids),
      JSON.stringify(manifest.event_refs),
    ],
  );
  return manifest;
}

/**
 * A stored manifest. The same evidence can be reached through different source refs, so the
 * caller passes the source ref it used and gets the manifest as seen through it.
 */
export async function loadManifest(
  q: Queryable,
  manifestId: string,
  sourceRef?: string,
): Promise<ReviewedFeedbackManifest> {
  const { rows } = await q.query<ReviewedFeedbackManifest>(
    'SELECT manifest_id, source_ref, event_count, label_counts, reviewer_ids, event_refs FROM guard_manifests WHERE manifest_id = $1',
    [manifestId],
  );
  const row = rows[0];
  if (!row) throw notFound(`manifest ${manifestId}`);
  return { ...row, source_ref: sourceRef ?? row.source_ref };
}
