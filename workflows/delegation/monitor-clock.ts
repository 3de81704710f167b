import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of monitor passes that give the evaluation their clock. */
export const MONITOR_PASSES_ITS_CLOCK = 'monitor-passes-its-clock';

/**
 * How far ahead of its clock a pass starts a dormant review (one stored without its workflow):
 * more than the monitor Schedule's interval (5 minutes, client/delegation.ts) plus a pass's own
 * duration, a pass the Schedule skipped (overlap SKIP) and the skew between the database's clock
 * (opened_at) and Temporal's, so that each review's own timer fires at its deadline.
 */
export const DUE_HORIZON_MS = 15 * 60_000;

/**
 * What a pass gives the evaluation activity besides its ABPs: its workflow time and horizon, so that
 * the activity stores the reviews it opens without their workflow and returns only those due.
 * Runs from before the patch sent nothing, and their activity, retried or replayed, starts every
 * review without a workflow as it always did. The workflow's clock, not the database's: a
 * time-skipping test server moves the one and not the other.
 */
export function passClock(): { asOf?: string; horizonMs?: number } {
  return patched(MONITOR_PASSES_ITS_CLOCK)
    ? { asOf: new Date(Date.now()).toISOString(), horizonMs: DUE_HORIZON_MS }
    : {};
}
