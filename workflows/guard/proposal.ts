import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { innermostMessage } from '../activity-failure';
import type { WardenActivities } from '../../activities';
import { calibrationPayload, calibrationRequestSchema, evaluateCalibrationGates } from '../../domain/guard/calibration-gates';
import type { GateOutcome } from '../../domain/guard/gate-outcome';
import { evaluateLoraGates, loraPayload, loraRequestSchema } from '../../domain/guard/lora-gates';
import { isTimerMs } from '../../domain/input/timer-duration';
import { GUARD_REFUSAL, approvalRefusal, releaseRefusal, type ApprovalRequest, type ProposalState } from '../../domain/guard/proposal-state';
import { WardenState } from '../../domain/search-attributes';
import { notify } from '../notify';
import type { ApprovalRecord } from '../../domain/guard/proposal-record';
import {
  approveProposalUpdate,
  awaitDecisionUpdate,
  proposalPayloadQuery,
  proposalStatusQuery,
  releaseProposalUpdate,
  type ProposalResult,
  type ReleaseRequest,
  type ProposalStatus,
  type ProposalWorkflowInput,
} from './proposal-messages';

const activities = proxyActivities<WardenActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '30s' },
});

// The client validated the request already; checking again here means a workflow started by
// other means still cannot gate on out-of-range numbers or a credential-carrying URI. A bad
// request fails the workflow outright instead of retrying a task that cannot succeed.
function gate(input: ProposalWorkflowInput): { outcome: GateOutcome; payload: Record<string, unknown> } {
  if (!isTimerMs(input.approval_timeout_ms)) {
    throw invalidRequest([{ path: ['approval_timeout'], message: `must be between 1 ms and 100 years, got ${input.approval_timeout_ms} ms` }]);
  }
  if (input.proposal_type === 'calibration_update') {
    const parsed = calibrationRequestSchema.safeParse(input.request);
    if (!parsed.success) throw invalidRequest(parsed.error.issues);
    const request = parsed.data;
    return { outcome: evaluateCalibrationGates(request, input.event_count), payload: { ...calibrationPayload(request, input.event_count) } };
  }
  const parsed = loraRequestSchema.safeParse(input.request);
  if (!parsed.success) throw invalidRequest(parsed.error.issues);
  return { outcome: evaluateLoraGates(parsed.data, input.event_count), payload: { ...loraPayload(parsed.data) } };
}

function invalidRequest(issues: { path: PropertyKey[]; message: string }[]): ApplicationFailure {
  const message = issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  return ApplicationFailure.create({ message, type: 'GuardInvalidRequest', nonRetryable: true });
}

// The innermost message of an activity failure: what the approver needs to read.
function refusalFrom(error: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message: innermostMessage(error), type: GUARD_REFUSAL, nonRetryable: true });
}

/**
 * One guard-loop proposal: gates -> stored decision -> (allow) wait for an approval Update until
 * the approval window closes -> wait for the release Update, which hands back the payload.
 * Nothing here applies a payload; the workflow only records and hands over.
 */
export async function guardProposalWorkflow(input: ProposalWorkflowInput): Promise<ProposalResult> {
  let state: ProposalState = 'gating';
  let outcome: GateOutcome | null = null;
  let payload: Record<string, unknown> | null = null;
  let approval: ApprovalRecord | null = null;
  let approvalInFlight = false;

  const enter = (next: ProposalState, details: string) => {
    state = next;
    upsertSearchAttributes([{ key: WardenState, value: next }]);
    setCurrentDetails(`**${next}** — ${details}`);
  };
  const status = (): ProposalStatus => ({ proposal_id: input.proposal_id, state, outcome, approval });

  setHandler(proposalStatusQuery, status);
  setHandler(proposalPayloadQuery, () => {
    const refused = releaseRefusal(state);
    if (refused || !payload) throw new Error(refused ?? 'payload not ready');
    return payload;
  });
  setHandler(awaitDecisionUpdate, async () => {
    await condition(() => state !== 'gating');
    return status();
  });
  setHandler(
    approveProposalUpdate,
    async (request: ApprovalRequest) => {
      approvalInFlight = true;
      try {
        // The role check needs the principals table; the activity refuses, and the refusal
        // fails this Update so the approver is told why.
        const recorded = await activities.guardRecordApproval({ proposal_id: input.proposal_id, ...request });
        approval = recorded;
        enter('approved', `approved by ${recorded.approver} (${recorded.approval_id}); waiting for release`);
        return recorded;
      } catch (error) {
        throw refusalFrom(error);
      } finally {
        approvalInFlight = false;
      }
    },
    {
      validator: (request: ApprovalRequest) => {
        const refused = approvalRefusal({ state, decision: outcome?.decision, proposer: input.proposer, approvalInFlight }, request ?? {});
        if (refused) throw new Error(refused);
      },
    },
  );
  setHandler(
    releaseProposalUpdate,
    async (request: ReleaseRequest) => {
      if (state !== 'released') {
        try {
          // The role check needs the principals table: the activity refuses, and the refusal fails this Update.
          payload = await activities.guardRecordRelease(input.proposal_id, request?.releaser);
        } catch (error) {
          throw refusalFrom(error);
        }
        enter('released', 'payload handed to the external deployment controller; nothing applied by Warden');
      }
      return payload!;
    },
    {
      validator: (_request: ReleaseRequest) => {
        const refused = releaseRefusal(state);
        if (refused) throw new Error(refused);
      },
    },
  );

  setCurrentDetails(`**gating** — ${input.proposal_type} under ${input.policy_id}, ${input.event_count} reviewed events`);
  const gated = gate(input);
  const policy = await activities.guardLoadPolicy(input.policy_id);
  payload = gated.payload;
  await activities.guardRecordDecision({
    proposal_id: input.proposal_id,
    proposal_type: input.proposal_type,
    policy_id: policy.policy_id,
    manifest_id: input.manifest_id,
    source_ref: input.source_ref,
    request: input.request as unknown as Record<string, unknown>,
    payload: gated.payload,
    rollback_id: input.request.rollback_id,
    proposer: input.proposer,
    outcome: gated.outcome,
    approval_timeout_ms: input.approval_timeout_ms,
  });
  outcome = gated.outcome;

  if (gated.outcome.decision !== 'allow') {
    enter('warned', `${gated.outcome.reason} (risk ${gated.outcome.risk_score}); cannot be approved`);
    await condition(allHandlersFinished);
    return { state: 'warned', outcome: gated.outcome };
  }

  enter('awaiting_approval', `${gated.outcome.reason}; needs a ${policy.approver_role} other than ${input.proposer}`);
  await notify('proposal.ready', input.proposal_id, { policyId: policy.policy_id, proposalType: input.proposal_type, riskScore: gated.outcome.risk_score });
  const approvedInTime = await condition(() => approval !== null, input.approval_timeout_ms);
  // An approval already being recorded when the window closes is allowed to finish.
  if (!approvedInTime && approvalInFlight) await condition(() => !approvalInFlight);
  if (approval === null) {
    await activities.guardRecordExpiry(input.proposal_id);
    enter('expired', 'approval window closed without an approval');
    await notify('proposal.expired', input.proposal_id, { policyId: policy.policy_id });
    await condition(allHandlersFinished);
    return { state: 'expired', outcome: gated.outcome };
  }

  await notify('proposal.approved', input.proposal_id, { policyId: policy.policy_id, approver: (approval as ApprovalRecord).approver });
  await condition(() => state === 'released');
  await notify('proposal.released', input.proposal_id, { policyId: policy.policy_id });
  await condition(allHandlersFinished);
  return { state: 'released', outcome: gated.outcome, payload: payload! };
}
