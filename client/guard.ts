import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import { buildAndStoreManifest } from '../db/guard/manifests';
import { insertFeedbackRows, prepareFeedbackRows, type IngestResult } from '../db/guard/feedback';
import { insertPolicy, requirePolicy } from '../db/guard/policies';
import { requireReleaser } from '../db/guard/releaser-role';
import type { ApprovalRecord, ProposalView, ReleaseBundle } from '../domain/guard/proposal-record';
import {
  findApproval,
  findDecision,
  findRelease,
  findSafetyEvent,
  loadProposalView,
  proposalExists,
  recentProposals,
  requireProposalRow,
} from '../db/guard/proposals';
import { requirePrincipal } from '../db/access/principals';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import { forbidden, invalid, notFound } from '../domain/errors';
import { timerDuration } from '../domain/input/timer-duration';
import { contentId } from '../domain/guard/content-id';
import { parseFeedbackBatch } from '../domain/guard/feedback-row';
import type { ProposalType } from '../domain/guard/gate-outcome';
import {
  calibrationRequestSchema,
  loraRequestSchema,
  type CalibrationRequestInput,
  type LoraRequestInput,
} from '../domain/guard/proposal-request-schemas';
import type { ReviewedFeedbackManifest } from '../domain/guard/manifest';
import { guardPolicySchema, type GuardPolicy } from '../domain/guard/policy';
import { legacyProposalIdFor, proposalIdFor } from '../domain/guard/proposal-id';
import { DEFAULT_APPROVAL_TIMEOUT, type ProposalState } from '../domain/guard/proposal-state';
import { HOOK_SCOPES, toSafetyEvent as buildSafetyEvent, type SafetyEvent } from '../domain/guard/safety-event';
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
export async function ingestFeedback(
  ctx: WardenContext,
  ndjson: string,
  actor: string | null = null,
  onProgress?: ProgressCallback,
): Promise<IngestResult> {
  const { rows, lines } = parseFeedbackBatch(ndjson, onProgress);
  if (actor) await requirePrincipal(ctx.pool, actor);
  // Everything computed from the rows is computed before the transaction, which holds the chain lock.
  const batch = prepareFeedbackRows(rows);
  const subject = `feedback-batch:${contentId(
    '',
    rows.map((r) => r.metadata.event_id),
  )}`;
  const tenants = [...new Set(rows.map((r) => r.tenant_id))].sort();
  return withProvenanceTransaction(ctx.pool, async (tx) => {
    const result = await insertFeedbackRows(tx, batch, (index) => lines[index] ?? 0, onProgress);
    if (result.inserted > 0) {
      await appendProvenance(tx, ctx.provenanceKey, {
        kind: 'guard.feedback.ingested',
        subject,
        actor,
        payload: { rows: result.rows, inserted: result.inserted, unchanged: result.unchanged, tenants },
      });
    }
    return result;
  });
}

/** `warden policy create`: a guard-loop policy, immutable once created, for `actor`, who must hold the admin role. */
export async function createPolicy(
  ctx: WardenContext,
  input: unknown,
  actor: string | null,
): Promise<{ policy: GuardPolicy; created: boolean }> {
  const policy = guardPolicySchema.parse(input);
  await requireAdmin(ctx.pool, actor, 'create guard policies');
  return storePolicy(ctx, policy, actor);
}

/** The policy itself, unchecked: for the worker's first-start seed, which no person performs. */
export async function storePolicy(
  ctx: WardenContext,
  policy: GuardPolicy,
  actor: string | null,
): Promise<{ policy: GuardPolicy; created: boolean }> {
  return withProvenanceTransaction(ctx.pool, async (tx) => {
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
  return z.object({ approval_timeout: timerDuration() }).parse({ approval_timeout: value ?? DEFAULT_APPROVAL_TIMEOUT })
    .approval_timeout;
}

function summaryOf(type: ProposalType, request: Record<string, unknown>, policyId: string): string {
  return type === 'calibration_update'
    ? `Calibration proposal ${request.current_threshold} → ${request.candidate_threshold} under ${policyId} (rollback ${request.rollback_id})`
    : `LoRA training-job proposal on ${request.base_model_ref} under ${policyId} (held-out ${request.heldout_score} vs ${request.baseline_score}, rollback ${request.rollback_id})`;
}

/**
 * The risk envelope's no_go_threshold is the line no guard threshold may reach: a calibration
 * whose candidate is at or beyond it is refused before any workflow starts, whatever the gates
 * would say, so no approver is ever asked to release one.
 */
function refuseBeyondNoGo(policy: GuardPolicy, request: ProposalWorkflowInput['request']): void {
  const noGo = policy.risk_envelope.no_go_threshold;
  if ('candidate_threshold' in request && request.candidate_threshold >= noGo) {
    throw invalid(
      `candidate_threshold: ${request.candidate_threshold} is at or beyond the no_go_threshold ${noGo} of ` +
        `${policy.policy_id}'s risk envelope; a calibration must stay below it`,
    );
  }
}

/** A proposal as proposing answers it: `existing` when the same evidence and request had proposed it before. */
export type ProposedView = ProposalView & { existing: boolean };

async function propose(
  ctx: WardenContext,
  type: ProposalType,
  common: ProposalCommon,
  request: ProposalWorkflowInput['request'],
): Promise<ProposedView> {
  const timeoutMs = approvalTimeoutMs(common.approval_timeout);
  await requirePrincipal(ctx.pool, common.proposer);
  const policy = await requirePolicy(ctx.pool, common.policy_id);
  refuseBeyondNoGo(policy, request);
  // Built before the workflow starts because the proposal id is derived from it: the same
  // evidence and request always name the same proposal.
  const manifest = await buildAndStoreManifest(ctx.pool, common.source_ref);
  const content = {
    proposal_type: type,
    policy_id: policy.policy_id,
    manifest_id: manifest.manifest_id,
    request: request as unknown as Record<string, unknown>,
  };
  // Proposed before ids became readable: that proposal, under its old id, is the one.
  const legacyId = legacyProposalIdFor(content);
  if (await proposalExists(ctx.pool, legacyId))
    return { ...(await loadProposalView(ctx.pool, legacyId)), existing: true };
  const proposalId = proposalIdFor(content);
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
  // The same evidence and request name the same proposal: proposing it again returns that one, and says so.
  if (await proposalExists(ctx.pool, proposalId))
    return { ...(await loadProposalView(ctx.pool, proposalId)), existing: true };
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
  return { ...(await loadProposalView(ctx.pool, proposalId)), existing: false };
}

/** The seed's propose_calibration_update. */
export async function proposeCalibrationUpdate(
  ctx: WardenContext,
  input: CalibrationProposalInput,
): Promise<ProposedView> {
  const { policy_id, source_ref, proposer, approval_timeout, ...rest } = input;
  return propose(
    ctx,
    'calibration_update',
    { policy_id, source_ref, proposer, approval_timeout },
    calibrationRequestSchema.parse(rest),
  );
}

/** The seed's propose_lora_job; a dataset URI with credentials is refused before anything starts. */
export async function proposeLoraJob(ctx: WardenContext, input: LoraProposalInput): Promise<ProposedView> {
  const { policy_id, source_ref, proposer, approval_timeout, ...rest } = input;
  return propose(
    ctx,
    'lora_training_job',
    { policy_id, source_ref, proposer, approval_timeout },
    loraRequestSchema.parse(rest),
  );
}

const proposalHandle = (ctx: WardenContext, proposalId: string) =>
  ctx.temporal.workflow.getHandle<typeof guardProposalWorkflowRef>(proposalId);

export async function showProposal(ctx: WardenContext, proposalId: string): Promise<ProposalView> {
  return loadProposalView(ctx.pool, proposalId);
}

export interface ProposalListItem extends ProposalView {
  /** The role the policy requires of an approver (and of a releaser, besides admin). */
  approver_role: string;
}

/** `proposal list`, the dashboard and the inbox: the newest proposals, optionally one state or policy. */
export async function listProposals(
  ctx: WardenContext,
  filter: { state?: ProposalState; policyId?: string; limit?: number } = {},
): Promise<ProposalListItem[]> {
  const listed = await recentProposals(ctx.pool, filter.limit ?? 30, filter);
  return Promise.all(
    listed.map(async (p) => ({ ...(await loadProposalView(ctx.pool, p.proposalId)), approver_role: p.approverRole })),
  );
}

/** The seed's approve: only an `allow` proposal, by a holder of the policy's approver role who did not propose it. */
export async function approve(
  ctx: WardenContext,
  proposalId: string,
  request: { approval_id: string; approver: string },
): Promise<ApprovalRecord> {
  const row = await requireProposalRow(ctx.pool, proposalId);
  const decision = await findDecision(ctx.pool, proposalId);
  // A warned proposal's workflow has already ended; say why it cannot be approved rather than
  // report a closed workflow.
  if (decision && decision.guard_decision.decision !== 'allow') {
    throw forbidden(`cannot approve proposal with decision '${decision.guard_decision.decision}'`);
  }
  if (row.state === 'expired') throw forbidden('proposal approval window has expired');
  const existing = await findApproval(ctx.pool, proposalId);
  if (existing && existing.approval_id === request.approval_id && existing.approver === request.approver)
    return existing;
  return proposalHandle(ctx, proposalId).executeUpdate(approveProposalUpdate, { args: [request] });
}

/**
 * The seed's release: the payload, only after approval, for an external deployment controller,
 * handed to a holder of the policy's approver role or an admin (`releaser`, recorded as the actor).
 */
export async function release(
  ctx: WardenContext,
  proposalId: string,
  releaser: string,
): Promise<Record<string, unknown>> {
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
  if (!released)
    throw forbidden(`proposal ${proposalId} has not been released (state ${row.state}); the bundle is kept at release`);
  return released.bundle;
}

/** The seed's to_safety_event arguments, camel-cased; its defaults: scope 'agent', empty request and tenant ids, no latency. */
export const safetyEventOptionsSchema = z.strictObject({
  hookId: z.string({ error: 'hookId is required' }).trim().min(1, 'hookId is required').max(200),
  hookScope: z.enum(HOOK_SCOPES, { error: `hookScope must be one of ${HOOK_SCOPES.join(', ')}` }).default('agent'),
  requestId: z.string().max(200).default(''),
  tenantId: z.string().max(200).default(''),
  latencyMs: z.number().nonnegative().finite().nullable().default(null),
});
export type SafetyEventRequest = z.input<typeof safetyEventOptionsSchema>;

/**
 * The seed's to_safety_event. Without options: the safety event Warden stored when the gates
 * decided (hook `GUARD_HOOK_ID`, the proposal id as request id). With options: the same decision
 * as an event for the caller's hook, request and tenant, with the document's defaults; its id is
 * derived from the decision and the options, and its timestamp is the decision's.
 */
export async function toSafetyEvent(
  ctx: WardenContext,
  proposalId: string,
  options?: SafetyEventRequest,
): Promise<SafetyEvent> {
  const parsed = options === undefined ? undefined : safetyEventOptionsSchema.parse(options);
  await requireProposalRow(ctx.pool, proposalId);
  const [event, decision] = await Promise.all([
    findSafetyEvent(ctx.pool, proposalId),
    findDecision(ctx.pool, proposalId),
  ]);
  if (!event || !decision) throw notFound(`safety event for proposal ${proposalId}`);
  if (!parsed) return event;
  const guardDecision = decision.guard_decision;
  return buildSafetyEvent(guardDecision, {
    event_id: contentId('sevt_', {
      proposal_id: proposalId,
      decision: guardDecision.decision,
      reason: guardDecision.reason,
      ...parsed,
    }),
    timestamp: event.timestamp,
    hook_id: parsed.hookId,
    hook_scope: parsed.hookScope,
    request_id: parsed.requestId,
    tenant_id: parsed.tenantId,
    latency_ms: parsed.latencyMs,
  });
}
