import type { Queryable } from '../../db/pool';
import { appendProvenance } from '../../db/provenance-log';
import { AbpSchema } from '../../domain/abp/schema';
import type { ReviewRow } from './review-store';

/**
 * The escalation paths a timed-out review fires: those of the review's ABP version whose trigger
 * is "review_timeout" or the review's own trigger id. Each is recorded once (for notifications
 * to pick up) and written to the provenance log.
 */
export async function fireEscalations(q: Queryable, provenanceKey: string, review: ReviewRow): Promise<{ destination: string; severity: string }[]> {
  const { rows } = await q.query<{ document: unknown }>('SELECT document FROM abp_versions WHERE abp_hash = $1', [review.abpHash]);
  const parsed = AbpSchema.safeParse(rows[0]?.document);
  const paths = parsed.success
    ? parsed.data.escalation.paths.filter((p) => p.trigger === 'review_timeout' || p.trigger === review.triggerId)
    : [];
  for (const [i, path] of paths.entries()) {
    const inserted = await q.query(
      `INSERT INTO delegation_escalations (escalation_id, abp_id, source, reference, trigger_name, destination, severity)
       VALUES ($1, $2, 'review_timeout', $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [`${review.reviewId}#timeout#${i}`, review.abpId, review.reviewId, path.trigger, path.destination, path.severity],
    );
    if (inserted.rowCount === 1) {
      await appendProvenance(q, provenanceKey, {
        kind: 'review.escalated',
        subject: `review:${review.reviewId}`,
        actor: null,
        payload: { destination: path.destination, severity: path.severity, escalation_trigger: path.trigger, auto: path.auto },
      });
    }
  }
  return paths.map((p) => ({ destination: p.destination, severity: p.severity }));
}
