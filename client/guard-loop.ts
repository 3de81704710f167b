import type { Duration } from '@temporalio/common';
import type { ProposalView } from '../domain/guard/proposal-record';
import type { ReviewedFeedbackManifest } from '../domain/guard/manifest';
import type { SafetyEvent } from '../domain/guard/safety-event';
import type { WardenContext } from './context';
import * as guard from './guard';

export interface GuardLoopOptions {
  policyId: string;
  /** The principal proposals are made for. */
  proposer: string;
  /** Approval window for proposals made through this loop (default 7 days). */
  approvalTimeout?: Duration;
}

/**
 * The seed's SelfImprovingGuardLoop, in TypeScript: one policy, one proposer, the same method
 * names. Proposals are durable workflows, so the objects passed around are only views of them.
 */
export class GuardLoop {
  constructor(
    private readonly ctx: WardenContext,
    private readonly options: GuardLoopOptions,
  ) {}

  buildManifest(args: { sourceRef: string }): Promise<ReviewedFeedbackManifest> {
    return guard.buildManifest(this.ctx, args.sourceRef);
  }

  proposeCalibrationUpdate(args: {
    sourceRef: string;
    currentThreshold: number;
    candidateThreshold: number;
    confidenceLow: number;
    confidenceHigh: number;
    rollbackId: string;
    minFeedback?: number;
    maxIntervalWidth?: number;
  }): Promise<ProposalView> {
    return guard.proposeCalibrationUpdate(this.ctx, {
      ...this.common(args.sourceRef),
      current_threshold: args.currentThreshold,
      candidate_threshold: args.candidateThreshold,
      confidence_low: args.confidenceLow,
      confidence_high: args.confidenceHigh,
      rollback_id: args.rollbackId,
      min_feedback: args.minFeedback,
      max_interval_width: args.maxIntervalWidth,
    });
  }

  proposeLoraJob(args: {
    sourceRef: string;
    datasetUri: string;
    baseModelRef: string;
    rollbackId: string;
    heldoutScore: number;
    baselineScore: number;
    minImprovement?: number;
    minFeedback?: number;
  }): Promise<ProposalView> {
    return guard.proposeLoraJob(this.ctx, {
      ...this.common(args.sourceRef),
      dataset_uri: args.datasetUri,
      base_model_ref: args.baseModelRef,
      rollback_id: args.rollbackId,
      heldout_score: args.heldoutScore,
      baseline_score: args.baselineScore,
      min_improvement: args.minImprovement,
      min_feedback: args.minFeedback,
    });
  }

  /** Approves for `approver`, who must hold the policy's approver role and not be the proposer. */
  async approve(proposal: ProposalView, args: { approvalId: string; approver: string }): Promise<ProposalView> {
    await guard.approve(this.ctx, proposal.proposal_id, { approval_id: args.approvalId, approver: args.approver });
    return guard.showProposal(this.ctx, proposal.proposal_id);
  }

  /** The approved payload for an external deployment controller, for `releaser` (the policy's approver role or admin); never applied by Warden. */
  release(proposal: ProposalView, args: { releaser: string }): Promise<Record<string, unknown>> {
    return guard.release(this.ctx, proposal.proposal_id, args.releaser);
  }

  /** The seed's to_safety_event(hook_id=…, hook_scope='agent', request_id='', tenant_id='', latency_ms=None); without options, the stored event. */
  toSafetyEvent(proposal: ProposalView, options?: guard.SafetyEventRequest): Promise<SafetyEvent> {
    return guard.toSafetyEvent(this.ctx, proposal.proposal_id, options);
  }

  private common(sourceRef: string) {
    return {
      policy_id: this.options.policyId,
      source_ref: sourceRef,
      proposer: this.options.proposer,
      ...(this.options.approvalTimeout ? { approval_timeout: this.options.approvalTimeout } : {}),
    };
  }
}
