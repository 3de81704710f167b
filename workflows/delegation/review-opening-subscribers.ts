import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of reviews that take from their start whether review.opened has subscribers. */
export const OPENING_KNOWS_SUBSCRIBERS = 'review-opening-knows-subscribers';

/**
 * Reviews whose starter read, when it stored the review, whether any webhook subscription wants
 * review.opened (ReviewStart's `openedSubscribed`) announce it only when one does: without
 * subscribers the opening runs no local activity (on the worker an activity task, its completion
 * and a second activation; on the server a marker), where before this patch every review asked
 * with one. Asked once, first of all, in place of the one-task patch (review-opening-task.ts),
 * which a history with this marker implies, so that an opening still records one marker (each
 * comes with the SDK's upsert of TemporalChangeVersion). A history without it replays as before.
 */
export function openingKnowsSubscribers(): boolean {
  return patched(OPENING_KNOWS_SUBSCRIBERS);
}
