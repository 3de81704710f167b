import { condition, proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { WardenActivities } from '../../activities';
import { calibrationPayload, evaluateCalibrationGates } from '../../domain/guard/calibration-gates';
import type { GateOutcome } from '../../domain/guard/gate-outcome';
import { evaluateLoraGates, loraPayload } from '../../domain/guard/lora-gates';
import { checkCalibrationRequest, checkLoraRequest } from '../../domain/guard/proposal-request';
import { approvalRefusal, releaseRefusal, type ProposalState } from '../../domain/guard/proposal-state';
import { describeIssues } from '../../domain/input/field-issues';
import { isTimerMs } from '../../domain/input/timer-limits';
import { WardenState } from '../../domain/search-attributes';
import { failure } from '../../domain/temporal/failure-types';
import { innermostMessage } from '../../domain/temporal/innermost-cause';
import { notify } from '../notify';
import type {
  ApprovalRecord,
  ApprovalRequest,
  ProposalResult,
  ProposalStatus,
  ProposalWorkflowInput,
  ReleaseRequest,
} from './contract';

const activities = proxyActivities<WardenActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '30s' },
});

// The client validated the request already; checking again here means a workflow started by
// other means still cannot gate on out-of-range numbers or a credential-carrying URI. A bad
// request fails the workflow outright instead of retrying a task that cannot succeed. The check
// is the zod-free twin of the boundary's schema (same results, word for word; a unit test holds
// them): a workflow run evaluates the modules it imports afresh, and zod was most of them.
function gate(input: ProposalWorkflowInput): { outcome: GateOutcome; payload: Record<string, unknown> } {
  if (!isTimerMs(input.approval_timeout_ms)) {
    throw invalidRequest([
      {
        path: ['approval_timeout'],
        message: `must be between 1 ms and 100 years, got ${input.approval_timeout_ms} ms`,
      },
    ]);
  }
  if (input.proposal_type === 'calibration_update') {
    const parsed = checkCalibrationRequest(input.request);
    if (!parsed.ok) throw invalidRequest(parsed.issues);
    const request = parsed.value;
    return {
      outcome: evaluateCalibrationGates(request, input.event_count),
      payload: { ...calibrationPayload(request, input.event_count) },
    };
  }
  const parsed = checkLoraRequest(input.request);
  if (!parsed.ok) throw invalidRequest(parsed.issues);
  return { outcome: evaluateLoraGates(parsed.value, input.event_count), payload: { ...loraPayload(parsed.value) } };
}

function invalidRequest(issues: { path: PropertyKey[]; message: string }[]) {
  return failure('invalid', describeIssues(issues).join('; '));
}

/**
 * An activity's refusal (a role check needs the principals table) fails the Update with its
 * innermost message: what the approver needs to read. It is a refusal of the proposal's Update,
 * whatever the activity's kind ('conflict', as the guard loop has always answered).
 */
function refusalFrom(error: unknown) {
  return failure('conflict', innermostMessage(error));
}

/**
 * One guard-loop proposal's state and transitions: the status and payload queries and the
 * approve, release and await-decision Updates are methods; `run` is the main line (gates ->
 * stored decision -> (allow) wait for an approval until the window closes -> wait for the
 * release). Commands are issued in the order the workflow issued them before it was a class.
 */
export class ProposalMachine {
  private state: ProposalState = 'gating';
  private outcome: GateOutcome | null = null;
  private payload: Record<string, unknown> | null = null;
  private approval: ApprovalRecord | null = null;
  private approvalInFlight = false;

  constructor(private readonly input: ProposalWorkflowInput) {}

  // ---- handlers ----------------------------------------------------------------------------

  status(): ProposalStatus {
    return { proposal_id: this.input.proposal_id, state: this.state, outcome: this.outcome, approval: this.approval };
  }

  releasedPayload(): Record<string, unknown> {
    const refused = releaseRefusal(this.state);
    if (refused || !this.payload) throw failure('conflict', refused ?? 'payload not ready');
    return this.payload;
  }

  async decided(): Promise<ProposalStatus> {
    await condition(() => this.state !== 'gating');
    return this.status();
  }

  validateApproval(request: ApprovalRequest): void {
    const refused = approvalRefusal(
      {
        state: this.state,
        decision: this.outcome?.decision,
        proposer: this.input.proposer,
        approvalInFlight: this.approvalInFlight,
      },
      request ?? {},
    );
    if (refused) throw failure('conflict', refused);
  }

  async approve(request: ApprovalRequest): Promise<ApprovalRecord> {
    this.approvalInFlight = true;
    try {
      // The role check needs the principals table; the activity refuses, and the refusal
      // fails this Update so the approver is told why.
      const recorded = await activities.guardRecordApproval({ proposal_id: this.input.proposal_id, ...request });
      this.approval = recorded;
      this.enter('approved', `approved by ${recorded.approver} (${recorded.approval_id}); waiting for release`);
      return recorded;
    } catch (error) {
      throw refusalFrom(error);
    } finally {
      this.approvalInFlight = false;
    }
  }

  validateRelease(_request: ReleaseRequest): void {
    const refused = releaseRefusal(this.state);
    if (refused) throw failure('conflict', refused);
  }

  async release(request: ReleaseRequest): Promise<Record<string, unknown>> {
    if (this.state !== 'released') {
      try {
        // The role check needs the principals table: the activity refuses, and the refusal fails this Update.
        this.payload = await activities.guardRecordRelease(this.input.proposal_id, request?.releaser);
      } catch (error) {
        throw refusalFrom(error);
      }
      this.enter('released', 'payload handed to the external deployment controller; nothing applied by Warden');
    }
    return this.payload!;
  }

  // ---- main line ---------------------------------------------------------------------------

  async run(): Promise<ProposalResult> {
    const input = this.input;
    setCurrentDetails(
      `**gating** — ${input.proposal_type} under ${input.policy_id}, ${input.event_count} reviewed events`,
    );
    const gated = gate(input);
    const policy = await activities.guardLoadPolicy(input.policy_id);
    this.payload = gated.payload;
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
    this.outcome = gated.outcome;
    if (gated.outcome.decision !== 'allow') {
      this.enter('warned', `${gated.outcome.reason} (risk ${gated.outcome.risk_score}); cannot be approved`);
      return { state: 'warned', outcome: gated.outcome };
    }
    this.enter(
      'awaiting_approval',
      `${gated.outcome.reason}; needs a ${policy.approver_role} other than ${input.proposer}`,
    );
    await notify('proposal.ready', input.proposal_id, {
      policyId: policy.policy_id,
      proposalType: input.proposal_type,
      riskScore: gated.outcome.risk_score,
    });
    if (!(await this.awaitApproval())) {
      await activities.guardRecordExpiry(input.proposal_id);
      this.enter('expired', 'approval window closed without an approval');
      await notify('proposal.expired', input.proposal_id, { policyId: policy.policy_id });
      return { state: 'expired', outcome: gated.outcome };
    }
    await notify('proposal.approved', input.proposal_id, {
      policyId: policy.policy_id,
      approver: this.approval!.approver,
    });
    await condition(() => this.state === 'released');
    await notify('proposal.released', input.proposal_id, { policyId: policy.policy_id });
    return { state: 'released', outcome: gated.outcome, payload: this.payload! };
  }

  /** Whether an approval came within the window; one already being recorded when it closes may finish. */
  private async awaitApproval(): Promise<boolean> {
    const approvedInTime = await condition(() => this.approval !== null, this.input.approval_timeout_ms);
    if (!approvedInTime && this.approvalInFlight) await condition(() => !this.approvalInFlight);
    return this.approval !== null;
  }

  private enter(next: ProposalState, details: string): void {
    this.state = next;
    upsertSearchAttributes([{ key: WardenState, value: next }]);
    setCurrentDetails(`**${next}** — ${details}`);
  }
}
