import { patched } from '@temporalio/workflow';
import { DUE_HORIZON_MS } from '../../domain/delegation/review-due';

/** The patch id recorded in the histories of monitor passes that give the evaluation their clock. */
export const MONITOR_PASSES_ITS_CLOCK = 'monitor-passes-its-clock';

/**
 * What a pass gives the evaluation activity besides its ABPs: its workflow time and horizon
 * (DUE_HORIZON_MS), so that the activity stores the reviews it opens without their workflow and
 * returns only those due.
 * Runs from before the patch sent nothing, and their activity, retried or replayed, starts every
 * review without a workflow as it always did. The workflow's clock, not the database's: a
 * time-skipping test server moves the one and not the other.
 */
export function passClock(): { asOf?: string; horizonMs?: number } {
  return patched(MONITOR_PASSES_ITS_CLOCK)
    ? { asOf: new Date(Date.now()).toISOString(), horizonMs: DUE_HORIZON_MS }
    : {};
}
