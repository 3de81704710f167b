import type { Queryable } from '../pool';
import { appendProvenance } from '../provenance/log';
import { AbpSchema, type Abp } from '../../domain/delegation/schema';
import { PARENT_CHANGED, parentChangedPolicy, type ReferencedAbp } from '../../domain/delegation/composition';
import type { ReviewStart } from '../../domain/delegation/review-start';
import { findCurrentByAbpId, findLatestVersion, findVersionDocument } from './abps';
import { subscribedTo } from '../notifications/subscriptions';
import {
  insertReviewsReadingHead,
  REVIEW_COLUMNS,
  reviewOf,
  reviewStartOf,
  type ReviewRow,
  type ReviewRowColumns,
} from './reviews';

const parsed = (document: unknown): Abp | null => {
  const r = AbpSchema.safeParse(document);
  return r.success ? r.data : null;
};

/** One end of a composition reference as `abp verify` follows it: the version named and the id's current one. */
export async function referencedAbp(q: Queryable, abpId: string, abpHash: string | null): Promise<ReferencedAbp> {
  const named = abpHash === null ? null : parsed(await findVersionDocument(q, abpHash));
  const pointer = await findCurrentByAbpId(q, abpId);
  const latest = pointer ?? (await findLatestVersion(q, abpId));
  return {
    version: named !== null && named.abp_id === abpId ? named : null,
    current: latest ? { abp: parsed(latest.document), status: pointer?.status ?? 'superseded' } : null,
  };
}

/**
 * A parent was revoked or replaced: each of its children that is still active gets an open review
 * with the trigger parent_changed (never a second active one: the partial unique index), under
 * the child's own review policy. In the caller's transaction, so the reviews exist exactly when
 * the change does. They are stored without their workflow: each start returned carries its
 * `openedAt` (its deadline counts from it) and whether a subscription wants review.opened (read by
 * the storing statement), for the caller to announce them and to start those already due.
 */
export async function openParentChangedReviews(
  q: Queryable,
  provenanceKey: string,
  parent: Abp,
  change: { kind: 'revoked' | 'replaced'; replacedBy?: string | null; reviewId?: string | null },
): Promise<(ReviewStart & { openedAt: string })[]> {
  const starts: (ReviewStart & { openedAt: string })[] = [];
  for (const { abp_id: childId } of parent.composition.children) {
    const current = await findCurrentByAbpId(q, childId);
    const child = current?.status === 'active' ? parsed(current.document) : null;
    if (!child || child.composition.parent_abp_id !== parent.abp_id) continue;
    const reading = {
      parent_abp_id: parent.abp_id,
      parent_abp_hash: parent.hash,
      change: change.kind,
      replaced_by: change.replacedBy ?? null,
    };
    const {
      rows: [row],
      openedSubscribed,
    } = await insertReviewsReadingHead(q, [
      {
        abpId: child.abp_id,
        abpHash: child.hash,
        triggerId: PARENT_CHANGED,
        severity: change.kind === 'revoked' ? 'critical' : 'warn',
        state: 'open',
        policy: parentChangedPolicy(child),
        reading,
        openedBy: 'monitor',
      },
    ]);
    if (!row) continue;
    await appendProvenance(q, provenanceKey, {
      kind: 'review.opened',
      subject: `review:${row.reviewId}`,
      actor: null,
      payload: {
        abp_id: child.abp_id,
        abp_hash: child.hash,
        trigger_id: PARENT_CHANGED,
        severity: row.severity,
        ...reading,
        parent_review_id: change.reviewId ?? null,
      },
    });
    starts.push({
      ...reviewStartOf(row, `parent ${parent.abp_id} ${change.kind}`, { openedSubscribed }),
      openedAt: row.openedAt!,
    });
  }
  return starts;
}

/**
 * The open parent_changed reviews without a workflow that a change of `parentAbpId` opened on its
 * children, and whether a subscription wants review.opened: what an apply retried after its commit
 * announces again (their deliveries' ids are the reviews', so none is delivered twice).
 */
export async function dormantParentChangedReviews(
  q: Queryable,
  parentAbpId: string,
): Promise<{ rows: ReviewRow[]; openedSubscribed: boolean }> {
  const { rows } = await q.query<ReviewRowColumns & { opened_subscribed: boolean }>(
    `SELECT ${REVIEW_COLUMNS}, ${subscribedTo(`'review.opened'`)} AS opened_subscribed FROM delegation_reviews
      WHERE state = 'open' AND NOT workflow_started AND trigger_id = $1 AND reading->>'parent_abp_id' = $2
      ORDER BY review_id`,
    [PARENT_CHANGED, parentAbpId],
  );
  const openedSubscribed = rows[0]?.opened_subscribed === true;
  return { rows: rows.map(({ opened_subscribed: _subscribed, ...row }) => reviewOf(row)), openedSubscribed };
}
