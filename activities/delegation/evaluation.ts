import type pg from 'pg';
import { appendProvenanceBatch, withProvenanceTransaction } from '../../db/provenance/log';
import { AbpSchema } from '../../domain/delegation/schema';
import { listCurrent } from '../../db/delegation/abps';
import { runPeriodicValidators } from './periodic-validators';
import { insertReviews, listUnstartedReviews, reviewStartOf } from '../../db/delegation/reviews';
import type { ReviewStart } from '../../domain/delegation/review-start';
import { readTriggerCards, type TriggerCard } from '../../db/delegation/trigger-cards';

export interface EvaluationResult {
  cards: TriggerCard[];
  opened: string[];
  queued: string[];
  /** Open reviews whose workflow still has to be started (new ones, or left over by a crash). */
  toStart: ReviewStart[];
  /** Periodic validators that failed, as "<abp-id>/<validator>: <fail_action>". */
  periodic: string[];
  /** Tripped triggers ("<abp-id>/<trigger-id>") that already had an active review before this pass. */
  underReview: string[];
}

/**
 * Evaluates every trigger of every active ABP (or of `abpIds`): a tripped trigger with auto_open
 * opens a review with the trigger's severity, one without is queued for a person. An ABP and
 * trigger never get a second active review. The ABP's periodic validators run in the same pass.
 */
export async function evaluateDelegationTriggers(
  deps: { pool: pg.Pool; provenanceKey: string },
  abpIds?: string[],
): Promise<EvaluationResult> {
  const result: EvaluationResult = { cards: [], opened: [], queued: [], toStart: [], periodic: [], underReview: [] };
  const names = new Map<string, string>();
  const touched = new Set<string>();
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
    // INSERT, their entries appended as one batch. A trigger that has an active review by now is skipped.
    const inserted = await withProvenanceTransaction(deps.pool, async (tx) => {
      const rows = await insertReviews(
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
      await appendProvenanceBatch(
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
      );
      return stored;
    });
    for (const { card, row } of inserted) {
      (row.state === 'open' ? result.opened : result.queued).push(row.reviewId);
      card.activeReview = { reviewId: row.reviewId, state: row.state };
    }
  }
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
