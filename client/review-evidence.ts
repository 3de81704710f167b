import { z } from 'zod';
import { findVersionDocument, storedAbp } from '../db/delegation/abps';
import { findReview, type ReviewRow } from '../db/delegation/reviews';
import { concludedBefore, triggerEvidenceRows, type EvidenceRow } from '../db/delegation/trigger-evidence-rows';
import { parseTriggerCondition, type TriggerKind } from '../domain/delegation/trigger-conditions';
import { windowStart } from '../domain/delegation/trigger-evidence';
import { listLimit } from '../domain/input/list-limit';
import { INT4_MAX } from '../domain/input/storable-int';
import { notFound } from '../domain/errors';
import { asBadInput } from './delegation';
import type { WardenContext } from './context';

export type { EvidenceRow };

/** A page of evidence: `limit` rows (1..200, default 50) after skipping `offset`. */
export const evidencePageSchema = z.object({
  limit: listLimit(50, 200),
  offset: z.coerce
    .number({ error: 'a whole number' })
    .int('a whole number')
    .min(0, 'at least 0')
    .max(INT4_MAX, `at most ${INT4_MAX}`)
    .default(0),
});
export type EvidencePageInput = z.input<typeof evidencePageSchema>;

export interface ReviewEvidence {
  reviewId: string;
  abpId: string;
  /** The version the review was opened on: its trigger condition says what counted. */
  abpHash: string;
  triggerId: string;
  triggerName: string;
  kind: TriggerKind;
  /** The reading the review was opened with (count and threshold). */
  reading: ReviewRow['reading'];
  /** What counted: evidence in [from, to] (no lower bound when from is null) and after `since`. */
  scope: { from: string | null; to: string; since: string | null };
  total: number;
  limit: number;
  offset: number;
  /** Newest first. */
  rows: EvidenceRow[];
}

/**
 * `warden review evidence`: the evidence rows the review's trigger counted when it was queued, as
 * the trigger evaluation counts them (the condition of the ABP version it was opened on, its
 * window ending when the review was queued, after the previous concluded review of the trigger).
 */
export async function reviewEvidence(
  ctx: WardenContext,
  reviewId: string,
  pageInput: EvidencePageInput = {},
): Promise<ReviewEvidence> {
  const page = evidencePageSchema.parse(pageInput);
  const review = await findReview(ctx.pool, reviewId);
  if (!review) throw notFound(`review ${reviewId}`);
  const abp = storedAbp({ document: await findVersionDocument(ctx.pool, review.abpHash) });
  const trigger = abp.delegation_review?.triggers.find((t) => t.id === review.triggerId);
  if (!trigger) throw notFound(`trigger ${review.triggerId} in ${review.abpId} ${review.abpHash}`);
  const condition = await asBadInput(async () => parseTriggerCondition(trigger));
  const now = new Date(review.queuedAt);
  const since = await concludedBefore(ctx.pool, review.abpId, review.triggerId, now);
  const found = await triggerEvidenceRows(ctx.pool, review.abpId, condition, { now, since }, page);
  const from = windowStart(condition, now.getTime());
  return {
    reviewId,
    abpId: review.abpId,
    abpHash: review.abpHash,
    triggerId: review.triggerId,
    triggerName: trigger.name,
    kind: condition.kind,
    reading: review.reading,
    scope: {
      from: from === null ? null : new Date(from).toISOString(),
      to: now.toISOString(),
      since: since?.toISOString() ?? null,
    },
    total: found.total,
    limit: page.limit,
    offset: page.offset,
    rows: found.rows,
  };
}
