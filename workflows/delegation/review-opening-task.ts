import { patched } from '@temporalio/workflow';
import { openingKnowsSubscribers } from './review-opening-subscribers';

/** The patch id recorded in the histories of reviews whose opening takes one workflow task. */
export const OPENS_IN_ONE_TASK = 'review-opens-in-one-task';

/**
 * Reviews started before this patch re-publish the search attributes they were started with and
 * announce review.opened with an activity, so their opening takes two workflow tasks and an activity
 * task; newer ones only set their details (every starter, client and parent workflow alike, gives
 * the attributes at the start) and start the announcement as a local activity in their first task.
 * Asked once, first of all, at the start: a history without the marker replays the old way. A
 * history with it is newer than the reopening (review-reopen.ts) and notification (notify.ts)
 * patches, so the review takes both paths without asking: their markers, each with the SDK's
 * upsert of TemporalChangeVersion, are not recorded at every opening.
 */
export function opensInOneTask(): boolean {
  return patched(OPENS_IN_ONE_TASK);
}

/**
 * The opening's patches, newest first: one that knows from its start whether review.opened has
 * subscribers (review-opening-subscribers.ts) implies the one-task opening; otherwise the one-task
 * patch is asked. A new history records only the newest marker.
 */
export function openingPatches(): { knowsSubscribers: boolean; inOneTask: boolean } {
  if (openingKnowsSubscribers()) return { knowsSubscribers: true, inOneTask: true };
  return { knowsSubscribers: false, inOneTask: opensInOneTask() };
}
