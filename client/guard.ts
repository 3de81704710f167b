import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import { buildAndStoreManifest } from '../db/guard/manifests';
import { insertFeedbackRows, type IngestResult } from '../db/guard/feedback';
import { insertPolicy, requirePolicy } from '../db/guard/policies';
import { requireReleaser } from '../db/guard/releaser-role';
import type { ApprovalRecord, ProposalView, ReleaseBundle } from '../domain/guard/proposal-record';
import {
  findApproval,
  findDecision,
  findRelease,
  findSafetyEvent,
  loadProposalView,
  requireProposalRow,
} from '../db/guard/proposals';
import { withTransaction } from '../db/pool';
import { requirePrincipal } from '../db/access/principals';
import { appendProvenance } from '../db/provenance/log';
import { forbidden, notFound } from '../domain/errors';
import { timerDuration } from '../domain/input/timer-duration';
import { calibrationRequestSchema, type CalibrationRequestInput } from '../domain/guard/calibration-gates';
import { contentId } from '../domain/guard/content-id';
import { parseFeedbackBatch } from '../domain/guard/feedback-row';
import type { ProposalType } from '../domain/guard/gate-outcome';
import { loraRequestSchema, type LoraRequestInput } from '../domain/guard/lora-gates';
import type { ReviewedFeedbackManifest } from '../domain/guard/manifest';
import { guardPolicySchema, type GuardPolicy } from '../domain/guard/policy';
import { proposalIdFor } from '../domain/guard/proposal-id';
import { DEFAULT_APPROVAL_TIMEOUT } from '../domain/guard/proposal-state';
import type { SafetyEvent } from '../domain/guard/safety-event';
import type { ProgressCallback } from '../domain/progress';
import { PolicyId, WardenKind, WardenState } from '../domain/search-attributes';
import { startOrFind } from '../domain/temporal/start-or-find';
import {
  approveProposalUpdate,
  awaitDecisionUpdate,
  guardProposalWorkflowRef,
  releaseProposalUpdate,
  type ProposalWorkflowInput,
} from '../workflows/guard/contract';
import { requireAdmin } from './administrator';
import type { WardenContext } from './context';

/** Stores a reviewed-feedback NDJSON batch: every row valid or nothing written. `onProgress` (the CLI's bar) hears validating and storing. */
export async function ingestFeedback(ctx: WardenContext, ndjson: string, actor: string | null = null, onProgress?: ProgressCallback): Promise<IngestResult> {
  const { rows, lines } = parseFeedbackBatch(ndjson, onProgress);
  if (actor) await requirePrincipal(ctx.pool, actor);
  return withTransaction(ctx.pool, async (tx) => {
    const result = await insertFeedbackRows(tx, rows, (index) => lines[index] ?? 0, onProgress);
    if (result.inserted > 0) {
      await appendProvenance(tx, ctx.provenanceKey, {
        kind: 'guard.feedback.ingested',
        subject: `feedback-batch:${contentId('', rows.map((r) => r.metadata.event_id))}`,
        actor,
        payload: { rows: result.rows, inserted: result.inserted, unchanged: result.unchanged, tenants: [...new Set(rows.map((r) => r.tenant_id))].sort() },
      });
    }
    return result;
  });
}

/** `warden policy create`: a guard-loop policy, immutable once created, for `actor`, who must hold the admin role. */
export async function createPolicy(ctx: WardenContext, input: unknown, actor: string | null): Promise<{ policy: GuardPolicy; created: boolean }> {
  const policy = guardPolicySchema.parse(input);
  await requireAdmin(ctx.pool, actor, 'create guard policies');
  return storePolicy(ctx, policy, actor);
}

/** The policy itself, unchecked: for the worker's first-start seed, which no person performs. */
export async function storePolicy(ctx: WardenContext, policy: GuardPolicy, actor: string | null): Promise<{ policy: GuardPolicy; created: boolean }> {
  return withTransaction(ctx.pool, async (tx) => {
    const result = await insertPolicy(tx, policy, actor);
    if (result.created) {
      await appendProvenance(tx, ctx.provenanceKey, {
        kind: 'guard.policy.created',
        subject: `policy:${policy.policy_id}`,
        actor,
        payload: { risk_envelope: policy.risk_envelope, approver_role: policy.approver_role },
      });
    }
    return result;
  });
}

/** The seed's build_manifest: a tenant-safe manifest of the reviewed feedback a source ref selects. */
export async function buildManifest(ctx: WardenContext, sourceRef: string): Promise<ReviewedFeedbackManifest> {
  return buildAndStoreManifest(ctx.pool, sourceRef);
}

interface ProposalCommon {
  policy_id: string;
  source_ref: string;
  proposer: string;
  /** How long the proposal waits for an approval (default 7 days), e.g. '7 days', '36h'. */
  approval_timeout?: Duration;
}
export type CalibrationProposalInput = ProposalCommon & CalibrationRequestInput;
export type LoraProposalInput = ProposalCommon & LoraRequestInput;

function approvalTimeoutMs(value: Duration | undefined): number {
  return z.object({ approval_timeout: timerDuration() }).parse({ approval_timeout: value ?? DEFAULT_APPROVAL_TIMEOUT }).approval_timeout;
}

function summaryOf(type: ProposalType, request: Record<string, unknown>, policyId: string): string {
  return type === 'calibration_update'
    ? `Calibration proposal ${request.current_threshold} → ${request.candidate_threshold} under ${policyId} (rollback ${request.rollback_id})`
    : `LoRA training-job proposal on ${request.base_model_ref} under ${policyId} (held-out ${request.heldout_score} vs ${request.baseline_score}, rollback ${request.rollback_id})`;
}

async function propose(
  ctx: WardenContext,
  type: ProposalType,
  common: ProposalCommon,
  request: ProposalWorkflowInput['request'],
): Promise<ProposalView> {
  const timeoutMs = approvalTimeoutMs(common.approval_timeout);
  await requirePrincipal(ctx.pool, common.proposer);
  const policy = await requirePolicy(ctx.pool, common.policy_id);
  // Built before the workflow starts because the proposal id is derived from it: the same
  // evidence and request always name the same proposal.
  const manifest = await buildAndStoreManifest(ctx.pool, common.source_ref);
  const proposalId = proposalIdFor({
    proposal_type: type,
    policy_id: policy.policy_id,
    manifest_id: manifest.manifest_id,
    request: request as unknown as Record<string, unknown>,
  });
  const input: ProposalWorkflowInput = {
    proposal_id: proposalId,
    proposal_type: type,
    policy_id: policy.policy_id,
    manifest_id: manifest.manifest_id,
    event_count: manifest.event_count,
    source_ref: manifest.source_ref,
    request,
    proposer: common.proposer,
    approval_timeout_ms: timeoutMs,
  };
  const handle = await startOrFind(() =>
    ctx.temporal.workflow.start(guardProposalWorkflowRef, {
      workflowId: proposalId,
      taskQueue: ctx.taskQueue,
      args: [input],
      // A proposal id names one proposal forever: proposing again finds it instead of redoing it;
      // only a run that failed (it recorded nothing) may be started again under the same id.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: WardenKind, value: 'proposal' },
        { key: WardenState, value: 'gating' },
        { key: PolicyId, value: policy.policy_id },
      ],
      staticSummary: summaryOf(type, request as unknown as Record<string, unknown>, policy.policy_id),
      staticDetails: `Proposed by ${common.proposer} from ${manifest.event_count} reviewed events (${manifest.source_ref}, manifest ${manifest.manifest_id}). Warden never applies the payload.`,
    }),
  );
  if (handle) await handle.executeUpdate(awaitDecisionUpdate);
  return loadProposalView(ctx.pool, proposalId);
}

/** The seed's propose_calibration_update. */
export async function proposeCalibrationUpdate(ctx: WardenContext, input: CalibrationProposalInput): Promise<ProposalView> {
  const { policy_id, source_ref, proposer, approval_timeout, ...rest } = input;
  return propose(ctx, 'calibration_update', { policy_id, source_ref, proposer, approval_timeout }, calibrationRequestSchema.parse(rest));
}

/** The seed's propose_lora_job; a dataset URI with credentials is refused before anything starts. */
export async function proposeLoraJob(ctx: WardenContext, input: LoraProposalInput): Promise<ProposalView> {
  const { policy_id, source_ref, proposer, approval_timeout, ...rest } = input;
  return propose(ctx, 'lora_training_job', { policy_id, source_ref, proposer, approval_timeout }, loraRequestSchema.parse(rest));
}

const proposalHandle = (ctx: WardenContext, proposalId: string) => ctx.temporal.workflow.getHandle<typeof guardProposalWorkflowRef>(proposalId);

export async function showProposal(ctx: WardenContext, proposalId: string): Promise<ProposalView> {
  return loadProposalView(ctx.pool, proposalId);
}

/** The seed's approve: only an `allow` proposal, by a holder of the policy's approver role who did not propose it. */
export async function approve(ctx: WardenContext, proposalId: string, request: { approval_id: string; approver: string }): Promise<ApprovalRecord> {
  const row = await requireProposalRow(ctx.pool, proposalId);
  const decision = await findDecision(ctx.pool, proposalId);
  // A warned proposal's workflow has already ended; say why it cannot be approved rather than
  // report a closed workflow.
  if (decision && decision.guard_decision.decision !== 'allow') {
    throw forbidden(`cannot approve proposal with decision '${decision.guard_decision.decision}'`);
  }
  if (row.state === 'expired') throw forbidden('proposal approval window has expired');
  const existing = await findApproval(ctx.pool, proposalId);
  if (existing && existing.approval_id === request.approval_id && existing.approver === request.approver) return existing;
  return proposalHandle(ctx, proposalId).executeUpdate(approveProposalUpdate, { args: [request] });
}

/**
 * The seed's release: the payload, only after approval, for an external deployment controller,
 * handed to a holder of the policy's approver role or an admin (`releaser`, recorded as the actor).
 */
export async function release(ctx: WardenContext, proposalId: string, releaser: string): Promise<Record<string, unknown>> {
  const row = await requireProposalRow(ctx.pool, proposalId);
  await requirePrincipal(ctx.pool, releaser);
  await requireReleaser(ctx.pool, row.policy_id, proposalId, releaser);
  const released = await findRelease(ctx.pool, proposalId);
  if (released) return released.payload;
  if (!(await findApproval(ctx.pool, proposalId))) throw forbidden('guard-loop proposal is not approved');
  return proposalHandle(ctx, proposalId).executeUpdate(releaseProposalUpdate, { args: [{ releaser }] });
}

/** Manifest, decision, approval, rollback id and payload as one audit record (after release). */
export async function proposalBundle(ctx: WardenContext, proposalId: string): Promise<ReleaseBundle> {
  const row = await requireProposalRow(ctx.pool, proposalId);
  const released = await findRelease(ctx.pool, proposalId);
  if (!released) throw forbidden(`proposal ${proposalId} has not been released (state ${row.state}); the bundle is kept at release`);
  return released.bundle;
}

/** The seed's to_safety_event: the stored, validated safety event of the proposal's decision. */
export async function toSafetyEvent(ctx: WardenContext, proposalId: string): Promise<SafetyEvent> {
  await requireProposalRow(ctx.pool, proposalId);
  const event = await findSafetyEvent(ctx.pool, proposalId);
  if (!event) throw notFound(`safety event for proposal ${proposalId}`);
  return event;
}
