import type { GuardDecisionKind } from './guard-decision';
import { checkIdentifier } from './identifier-rules';

// Lifecycle of one proposal workflow. `warned` is final: a warn decision is recorded for the
// audit trail but can never be approved.
export const PROPOSAL_STATES = ['gating', 'warned', 'awaiting_approval', 'approved', 'released', 'expired'] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

export const DEFAULT_APPROVAL_TIMEOUT = '7 days';

export interface ApprovalRequest {
  approval_id: string;
  approver: string;
}

export interface ApprovalContext {
  state: ProposalState;
  decision?: GuardDecisionKind;
  proposer: string;
  approvalInFlight: boolean;
}

// Everything about an approval that can be judged without I/O; the role check needs the
// principals table and happens in an activity.
export function approvalRefusal(ctx: ApprovalContext, request: Partial<ApprovalRequest>): string | undefined {
  if (ctx.decision !== undefined && ctx.decision !== 'allow') {
    return `cannot approve proposal with decision '${ctx.decision}'`;
  }
  if (ctx.state === 'approved' || ctx.state === 'released') return 'proposal is already approved';
  if (ctx.state === 'expired') return 'proposal approval window has expired';
  if (ctx.state !== 'awaiting_approval') return `proposal is not awaiting approval (state ${ctx.state})`;
  if (ctx.approvalInFlight) return 'another approval is being recorded';
  for (const field of ['approval_id', 'approver'] as const) {
    const [issue] = checkIdentifier(field, request[field]).issues;
    if (issue !== undefined) return issue;
  }
  if (request.approver === ctx.proposer) return 'the proposer cannot approve their own proposal';
  return undefined;
}

export function releaseRefusal(state: ProposalState): string | undefined {
  if (state === 'approved' || state === 'released') return undefined;
  return `guard-loop proposal is not approved (state ${state})`;
}
