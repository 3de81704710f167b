import { contentId } from './content-id';
import type { ProposalType } from './gate-outcome';

// The same policy, evidence (manifest id) and request give the same proposal id, so
// proposing twice finds the first proposal instead of creating a twin. Who proposes is not
// part of the content: an identical request by someone else is the same proposal.
export function proposalIdFor(content: {
  proposal_type: ProposalType;
  policy_id: string;
  manifest_id: string;
  request: Record<string, unknown>;
}): string {
  return contentId('guard-loop-', content);
}
