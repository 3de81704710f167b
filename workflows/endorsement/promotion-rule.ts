import { patched } from '@temporalio/workflow';

/** The patch id recorded in the histories of endorsements whose promote command checks the evidence rule. */
export const PROMOTE_NEEDS_EVIDENCE_OR_OVERRIDE = 'promote-needs-evidence-or-override';

/**
 * Promote commands recorded before this patch promoted at once; newer ones check the evidence
 * rule first and promote early only on an override with a rationale. Asked when a promote
 * command runs, so a history that promoted the old way replays the old way.
 */
export function promotionChecksEvidence(): boolean {
  return patched(PROMOTE_NEEDS_EVIDENCE_OR_OVERRIDE);
}
