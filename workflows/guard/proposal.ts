import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import {
  approveProposalUpdate,
  awaitDecisionUpdate,
  proposalPayloadQuery,
  proposalStatusQuery,
  releaseProposalUpdate,
  type ProposalResult,
  type ProposalWorkflowInput,
} from './contract';
import { ProposalMachine } from './proposal-machine';

/**
 * One guard-loop proposal: gates -> stored decision -> (allow) wait for an approval Update until
 * the approval window closes -> wait for the release Update, which hands back the payload.
 * Nothing here applies a payload; the workflow only records and hands over. The state machine is
 * ProposalMachine; this wires its handlers and waits for its main line.
 */
export async function guardProposalWorkflow(input: ProposalWorkflowInput): Promise<ProposalResult> {
  const proposal = new ProposalMachine(input);
  setHandler(proposalStatusQuery, () => proposal.status());
  setHandler(proposalPayloadQuery, () => proposal.releasedPayload());
  setHandler(awaitDecisionUpdate, () => proposal.decided());
  setHandler(approveProposalUpdate, (request) => proposal.approve(request), {
    validator: (request) => proposal.validateApproval(request),
  });
  setHandler(releaseProposalUpdate, (request) => proposal.release(request), {
    validator: (request) => proposal.validateRelease(request),
  });

  const result = await proposal.run();
  await condition(allHandlersFinished);
  return result;
}
