import { contentId } from './content-id';
import type { ProposalType } from './gate-outcome';

interface ProposalContent {
  proposal_type: ProposalType;
  policy_id: string;
  manifest_id: string;
  request: Record<string, unknown>;
}

// The same policy, evidence (manifest id) and request give the same proposal id, so
// proposing twice finds the first proposal instead of creating a twin. Who proposes is not
// part of the content: an identical request by someone else is the same proposal.
// The id reads in the Temporal UI's list: `proposal-<policy>-<16 hex of the content digest>`.
export function proposalIdFor(content: ProposalContent): string {
  return `proposal-${content.policy_id}-${contentId('', content).slice(0, 16)}`;
}

/**
 * The id the same content had before ids became readable (`guard-loop-<32 hex>`): proposals made
 * then keep it, and proposing their content again still finds them.
 */
export function legacyProposalIdFor(content: ProposalContent): string {
  return contentId('guard-loop-', content);
}
