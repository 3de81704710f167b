// Stands in for workflows/delegation/review-opening-task.ts in a bundle of the review workflow as it
// was before a review opened in one task: no patch marker, and the review asks the older patches
// (reopening, notification) itself, re-publishes its attributes and announces with an activity.
export const OPENS_IN_ONE_TASK = 'review-opens-in-one-task';
export function opensInOneTask(): boolean {
  return false;
}
export function openingPatches(): { knowsSubscribers: boolean; inOneTask: boolean } {
  return { knowsSubscribers: false, inOneTask: false };
}
