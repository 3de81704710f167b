import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of endorsements that wait for wake-ups instead of polling. */
export const WAIT_WITHOUT_POLLING = 'endorsement-waits-without-polling';

/**
 * Runs recorded before this patch pulled samples every `pollSeconds` while staged (a timer and an
 * activity each time, about 1,000 history events an idle hour); newer ones sleep until a wake-up
 * signal, an operator command or the cooldown deadline. Asked once as the watch begins, so a
 * history that polled replays the poll.
 */
export function waitsWithoutPolling(): boolean {
  return patched(WAIT_WITHOUT_POLLING);
}
