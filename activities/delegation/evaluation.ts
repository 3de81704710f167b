import type pg from 'pg';
import { appendProvenanceAfterHead, withProvenanceTransaction } from '../../db/provenance/log';
import { AbpSchema } from '../../domain/delegation/schema';
import { listCurrent } from '../../db/delegation/abps';
import { runPeriodicValidators } from './periodic-validators';
import {
  findReview,
  insertReviewsReadingHead,
  listReviewsDue,
  listUnstartedReviews,
  reviewStartOf,
  type ReviewRow,
} from '../../db/delegation/reviews';
import type { ReviewStart } from '../../domain/delegation/review-start';
import { readTriggerCards, type TriggerCard } from '../../db/delegation/trigger-cards';
import { hasSubscriberFor } from '../../db/notifications/subscriptions';
import type { OpenedAnnouncer } from './announce-opened';

export interface EvaluationResult {
  cards: TriggerCard[];
  opened: string[];
  queued: string[];
  /**
   * Open reviews whose workflow the pass starts: with the pass's clock, those without a workflow
   * whose deadline is within its horizon; without it (a pass recorded before the monitor passed
   * its clock), every open review without a workflow, new ones included.
   */
  toStart: ReviewStart[];
  /** Periodic validators that failed, as "<abp-id>/<validator>: <fail_action>". */
  periodic: string[];
  /** Tripped triggers ("<abp-id>/<trigger-id>") that already had an active review before this pass. */
  underReview: string[];
}

/**
 * A pass's clock: its workflow time (ISO 8601) and how far ahead of it a review's deadline makes
 * the review due (see workflows/delegation/monitor-clock.ts). The workflow's time, not the
 * database's: a time-skipping test server moves the one and not the other.
 */
export interface PassClock {
  asOf: string;
  horizonMs: number;
}

/** Who announces the reviews a pass stores, and whether this attempt retries one that may have stored some. */
export interface EvaluationOptions {
  clock?: PassClock;
  announce?: OpenedAnnouncer;
  retried?: boolean;
}

/**
 * Evaluates every trigger of every active ABP (or of `abpIds`): a tripped trigger with auto_open
 * opens a review with the trigger's severity, one without is queued for a person. An ABP and
 * trigger never get a second active review. The ABP's periodic validators run in the same pass.
 *
 * With the pass's clock, the reviews it opens are stored without their workflow (dormant) and
 * their review.opened is announced here when a subscription wants it; it returns to start only
 * the reviews without a workflow whose deadline is near. Without it (a pass in flight from before
 * the monitor passed its clock) it returns every review without a workflow, as it always did.
 */
export async function evaluateDelegationTriggers(
  deps: { pool: pg.Pool; provenanceKey: string },
  abpIds?: string[],
  opts: EvaluationOptions = {},
): Promise<EvaluationResult> {
  const { clock } = opts;
  const result: EvaluationResult = { cards: [], opened: [], queued: [], toStart: [], periodic: [], underReview: [] };
  const names = new Map<string, string>();
  const touched = new Set<string>();
  const toAnnounce: ReviewRow[] = [];
  for (const current of await listCurrent(deps.pool, { abpIds, status: 'active' })) {
    touched.add(current.abpId);
    const parsed = AbpSchema.safeParse(current.document);
    if (!parsed.success) continue; // a tampered row cannot be evaluated; verify reports it
    const abp = parsed.data;
    const periodic = await runPeriodicValidators(deps, current, abp);
    for (const r of periodic.results.filter((x) => !x.passed))
      result.periodic.push(`${abp.abp_id}/${r.name}: ${r.failAction}`);
    for (const t of abp.delegation_review?.triggers ?? []) names.set(`${abp.abp_id}/${t.id}`, t.name);
    const cards = await readTriggerCards(deps.pool, abp);
    result.cards.push(...cards);
    for (const card of cards)
      if (card.state === 'tripped' && card.activeReview) result.underReview.push(`${card.abpId}/${card.triggerId}`);
    const tripped = cards.filter((card) => card.state === 'tripped' && !card.activeReview);
    if (tripped.length === 0) continue;
    // The ABP's tripped triggers open (or queue) their reviews together: one transaction, one
    // INSERT (which also reads the chain's head and whether review.opened has subscribers), their
    // entries appended as one batch. A trigger that has an active review by now is skipped.
    const { stored, subscribed } = await withProvenanceTransaction(deps.pool, async (tx) => {
      const { rows, head, openedSubscribed } = await insertReviewsReadingHead(
        tx,
        tripped.map((card) => ({
          abpId: abp.abp_id,
          abpHash: abp.hash,
          triggerId: card.triggerId,
          severity: card.severity,
          state: card.autoOpen ? ('open' as const) : ('queued' as const),
          policy: abp.delegation_review!.review_policy,
          reading: { ...card, activeReview: undefined },
          openedBy: card.autoOpen ? 'monitor' : null,
        })),
      );
      const byTrigger = new Map(rows.map((row) => [row.triggerId, row]));
      const stored = tripped.flatMap((card) => {
        const row = byTrigger.get(card.triggerId);
        return row ? [{ card, row }] : [];
      });
      if (head)
        await appendProvenanceAfterHead(
          tx,
          deps.provenanceKey,
          stored.map(({ card, row }) => ({
            kind: card.autoOpen ? 'review.opened' : 'review.queued',
            subject: `review:${row.reviewId}`,
            actor: null,
            payload: {
              abp_id: abp.abp_id,
              abp_hash: abp.hash,
              trigger_id: card.triggerId,
              severity: card.severity,
              current: card.current,
              threshold: card.threshold,
            },
          })),
          head,
        );
      return { stored, subscribed: openedSubscribed === true };
    });
    for (const { card, row } of stored) {
      (row.state === 'open' ? result.opened : result.queued).push(row.reviewId);
      card.activeReview = { reviewId: row.reviewId, state: row.state };
      if (clock && subscribed && row.state === 'open') toAnnounce.push(row);
    }
  }
  if (clock === undefined) {
    const unstarted = await listUnstartedReviews(deps.pool);
    for (const row of unstarted.rows) {
      if (abpIds === undefined || touched.has(row.abpId)) {
        const triggerName = names.get(`${row.abpId}/${row.triggerId}`) ?? row.triggerId;
        result.toStart.push(reviewStartOf(row, triggerName, { openedSubscribed: unstarted.openedSubscribed }));
        // A retried attempt finds the review its first attempt inserted: it still reports it as opened.
        if (row.openedBy === 'monitor' && !result.opened.includes(row.reviewId)) result.opened.push(row.reviewId);
      }
    }
    return result;
  }
  // An earlier attempt may have stored reviews and failed before announcing them: this attempt
  // finds them active and announces the open ones again (their deliveries' ids are the reviews',
  // so one announced already is not delivered twice). They are reported as already under review.
  if (opts.retried && (await hasSubscriberFor(deps.pool, 'review.opened')))
    for (const card of result.cards)
      if (
        card.state === 'tripped' &&
        card.activeReview?.state === 'open' &&
        !result.opened.includes(card.activeReview.reviewId)
      ) {
        const row = await findReview(deps.pool, card.activeReview.reviewId);
        if (row?.state === 'open' && !row.workflowStarted) toAnnounce.push(row);
      }
  await opts.announce?.(toAnnounce);
  for (const row of await listReviewsDue(deps.pool, clock)) {
    if (abpIds !== undefined && !touched.has(row.abpId)) continue;
    const triggerName = names.get(`${row.abpId}/${row.triggerId}`) ?? row.triggerId;
    // Its storer announced its opening; its deadline counts from that opening, not from this start.
    result.toStart.push({ ...reviewStartOf(row, triggerName), openedAt: row.openedAt!, openedAnnounced: true });
  }
  return result;
}
