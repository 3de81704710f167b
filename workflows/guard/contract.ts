import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalRecord } from '../../domain/guard/proposal-record';
import type { CalibrationRequest } from '../../domain/guard/calibration-gates';
import type { GateOutcome, ProposalType } from '../../domain/guard/gate-outcome';
import type { LoraRequest } from '../../domain/guard/lora-gates';
import type { ApprovalRequest, ProposalState } from '../../domain/guard/proposal-state';
import { workflowRef } from '../workflow-ref';
import type { guardProposalWorkflow } from './proposal';

/**
 * The guard-loop proposal workflow's contract, shared by the workflow, its activities and its
 * clients. Ids and numbers only: the history of a proposal never holds feedback text.
 */

/** One proposal (workflow id = proposal id, derived from its evidence and request). */
export const guardProposalWorkflowRef = workflowRef<typeof guardProposalWorkflow>('guardProposalWorkflow');

export type { ApprovalRecord, ApprovalRequest };

export interface ProposalWorkflowInput {
  proposal_id: string;
  proposal_type: ProposalType;
  policy_id: string;
  manifest_id: string;
  event_count: number;
  source_ref: string;
  request: CalibrationRequest | LoraRequest;
  proposer: string;
  approval_timeout_ms: number;
}

export interface ProposalStatus {
  proposal_id: string;
  state: ProposalState;
  outcome: GateOutcome | null;
  approval: ApprovalRecord | null;
}

export type ProposalResult =
  | { state: 'warned'; outcome: GateOutcome }
  | { state: 'expired'; outcome: GateOutcome }
  | { state: 'released'; outcome: GateOutcome; payload: Record<string, unknown> };

/** Who releases. Updates sent before releasers were recorded carry none, and the activity refuses them. */
export interface ReleaseRequest {
  releaser: string;
}

export const proposalStatusQuery = defineQuery<ProposalStatus>('proposalStatus');
/** The payload, only once approved; refused before (the query fails). */
export const proposalPayloadQuery = defineQuery<Record<string, unknown>>('proposalPayload');
/** Resolves once the gates have decided; lets a caller wait without polling. */
export const awaitDecisionUpdate = defineUpdate<ProposalStatus>('awaitProposalDecision');
export const approveProposalUpdate = defineUpdate<ApprovalRecord, [ApprovalRequest]>('approveProposal');
export const releaseProposalUpdate = defineUpdate<Record<string, unknown>, [ReleaseRequest]>('releaseProposal');
