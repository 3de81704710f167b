import type { WardenContext } from '../../client/context';
import { reviewStartFromRow, wakeDormantReview } from '../../client/review-vote-start';
import { findReview } from '../../db/delegation/reviews';
import { hasSubscriberFor } from '../../db/notifications/subscriptions';
import type { ReviewStart } from '../../domain/delegation/review-start';

/**
 * Gives a dormant review its workflow without a vote (wakeDormantReview: the start its first vote's
 * update-with-start makes, same input, id and policies, and its row marked started), for tests whose
 * subject is the running workflow (its query, history or timer) rather than how it came to run.
 *
 * `asReleased`: the start input an opening carried in the releases that started the workflow at
 * once (no `openedAt`, no `openedAnnounced`; `openedSubscribed` as the storing statement read it),
 * for tests and replay cases of those releases' histories.
 */
export async function wakeReview(
  ctx: WardenContext,
  reviewId: string,
  opts: { asReleased?: boolean } = {},
): Promise<void> {
  const row = await findReview(ctx.pool, reviewId);
  if (!row) throw new Error(`wakeReview: no review ${reviewId}`);
  const released = async (): Promise<ReviewStart> => {
    const { openedAt: _at, openedAnnounced: _announced, ...start } = await reviewStartFromRow(ctx, row);
    return { ...start, openedSubscribed: await hasSubscriberFor(ctx.pool, 'review.opened') };
  };
  await wakeDormantReview(ctx, row, opts.asReleased ? await released() : undefined);
}
