import type { Queryable } from '../pool';
import { appendProvenance } from '../provenance/log';
import { AbpSchema } from '../../domain/delegation/schema';
import type { ActionVerdict } from '../../domain/delegation/validators';
import { findVersionDocument } from './abps';
import type { ReviewRow } from './reviews';

export interface FiredEscalation {
  /** The escalation path's trigger: a validator name, "review_timeout" or a trigger id. */
  trigger: string;
  destination: string;
  severity: 'info' | 'warn' | 'critical';
}

/** The escalation paths a validator verdict fires. */
export const firedEscalations = (verdict: ActionVerdict): FiredEscalation[] =>
  verdict.escalations.map((e) => ({ trigger: e.validator, destination: e.destination, severity: e.severity }));

/**
 * Records escalation paths that fired, once each: `reference` plus the position makes the id, so
 * a retried activity records nothing twice. Each new one is written to the provenance log too
 * (for notifications and people to pick up).
 */
export async function recordEscalations(
  q: Queryable,
  provenanceKey: string,
  e: {
    abpId: string;
    source: 'validator' | 'review_timeout' | 'post_action';
    reference: string;
    subject: string;
    fired: FiredEscalation[];
  },
): Promise<number> {
  let recorded = 0;
  for (const [i, path] of e.fired.entries()) {
    const inserted = await q.query(
      `INSERT INTO delegation_escalations (escalation_id, abp_id, source, reference, trigger_name, destination, severity)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [`${e.reference}#${i}`, e.abpId, e.source, e.reference, path.trigger, path.destination, path.severity],
    );
    if (inserted.rowCount !== 1) continue;
    recorded += 1;
    await appendProvenance(q, provenanceKey, {
      kind: e.source === 'review_timeout' ? 'review.escalated' : 'abp.escalated',
      subject: e.subject,
      actor: null,
      payload: {
        abp_id: e.abpId,
        reference: e.reference,
        destination: path.destination,
        severity: path.severity,
        escalation_trigger: path.trigger,
        source: e.source,
      },
    });
  }
  return recorded;
}

/**
 * The escalation paths a timed-out review fires: those of the review's ABP version whose trigger
 * is "review_timeout" or the review's own trigger id.
 */
export async function fireTimeoutEscalations(
  q: Queryable,
  provenanceKey: string,
  review: ReviewRow,
): Promise<FiredEscalation[]> {
  const parsed = AbpSchema.safeParse(await findVersionDocument(q, review.abpHash));
  const fired = parsed.success
    ? parsed.data.escalation.paths
        .filter((p) => p.trigger === 'review_timeout' || p.trigger === review.triggerId)
        .map((p) => ({ trigger: p.trigger, destination: p.destination, severity: p.severity }))
    : [];
  await recordEscalations(q, provenanceKey, {
    abpId: review.abpId,
    source: 'review_timeout',
    reference: review.reviewId,
    subject: `review:${review.reviewId}`,
    fired,
  });
  return fired;
}
