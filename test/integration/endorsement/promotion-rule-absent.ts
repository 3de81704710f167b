// Stands in for workflows/endorsement/promotion-rule.ts in a bundle of the endorsement workflow as
// it was before promote commands checked the evidence rule: no patch marker, promotion at once.
export const PROMOTE_NEEDS_EVIDENCE_OR_OVERRIDE = 'promote-needs-evidence-or-override';
export function promotionChecksEvidence(): boolean {
  return false;
}
