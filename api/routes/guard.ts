import type { Duration } from '@temporalio/common';
import { z } from 'zod';
import {
  approve,
  buildManifest,
  createPolicy,
  ingestFeedback,
  proposalBundle,
  proposeCalibrationUpdate,
  proposeLoraJob,
  release,
  showProposal,
  toSafetyEvent,
  type SafetyEventRequest,
} from '../../client/guard';

const SAFETY_EVENT_QUERY = ['hook_id', 'hook_scope', 'request_id', 'tenant_id', 'latency_ms'];
import { calibrationRequestSchema, loraRequestSchema } from '../../domain/guard/proposal-request-schemas';
import { guardPolicySchema } from '../../domain/guard/policy';
import { actingPrincipalField as principal, ADMIN_ROLE } from '../auth';
import { HttpError, type Route } from '../route';

const policyBody = guardPolicySchema.extend({ as: principal.optional() });
const proposalCommon = z.object({
  policy_id: z.string(),
  source_ref: z.string(),
  as: principal,
  approval_timeout: z.string().optional(),
});
const approveBody = z.strictObject({ approval_id: z.string(), as: principal });
const releaseBody = z.strictObject({ as: principal });

// The request's numbers and ids go through the same schemas the CLI and the client use.
function proposalParts(body: unknown) {
  const { as, approval_timeout, policy_id, source_ref, ...request } = proposalCommon.passthrough().parse(body);
  return {
    common: {
      policy_id,
      source_ref,
      proposer: as,
      ...(approval_timeout ? { approval_timeout: approval_timeout as Duration } : {}),
    },
    request,
  };
}

export const guardRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/v1/guard/feedback',
    actsAs: true,
    summary:
      'Ingest reviewed feedback as NDJSON (application/x-ndjson); one bad row refuses the batch, nothing written',
    async handler(ctx, req) {
      if (typeof req.body !== 'string')
        throw new HttpError(415, 'send reviewed feedback as NDJSON (content-type application/x-ndjson)');
      return { status: 201, body: await ingestFeedback(ctx, req.body, req.query.get('as')) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/guard/policies',
    roles: [ADMIN_ROLE],
    actsAs: true,
    summary: 'Create a guard-loop policy (risk envelope and approver role); immutable once created',
    bodySchema: policyBody,
    async handler(ctx, req) {
      const { as, ...policy } = policyBody.parse(req.body);
      const result = await createPolicy(ctx, policy, as ?? null);
      return { status: result.created ? 201 : 200, body: result };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/guard/manifests',
    summary: 'The tenant-safe manifest of the reviewed feedback a source ref selects (?source=feedback://…)',
    async handler(ctx, req) {
      const source = req.query.get('source');
      if (!source) throw new HttpError(400, 'source: a feedback:// source ref is required');
      return buildManifest(ctx, source);
    },
  },
  {
    method: 'POST',
    path: '/api/v1/guard/proposals/calibration',
    actsAs: true,
    summary: 'Propose a threshold calibration update; gated, then waits for approval',
    bodySchema: proposalCommon.extend(calibrationRequestSchema.shape),
    async handler(ctx, req) {
      const { common, request } = proposalParts(req.body);
      const proposed = await proposeCalibrationUpdate(ctx, { ...common, ...calibrationRequestSchema.parse(request) });
      return { status: proposed.existing ? 200 : 201, body: proposed };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/guard/proposals/lora',
    actsAs: true,
    summary: 'Propose (never submit) a LoRA training job; dataset URIs with credentials are refused',
    bodySchema: proposalCommon.extend(loraRequestSchema.shape),
    async handler(ctx, req) {
      const { common, request } = proposalParts(req.body);
      const proposed = await proposeLoraJob(ctx, { ...common, ...loraRequestSchema.parse(request) });
      return { status: proposed.existing ? 200 : 201, body: proposed };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/guard/proposals/:id',
    summary: 'Decision, reason, risk, gates and manifest of a proposal (never feedback text)',
    handler: (ctx, req) => showProposal(ctx, req.params.id!),
  },
  {
    method: 'POST',
    path: '/api/v1/guard/proposals/:id/approve',
    actsAs: true,
    summary: "Approve an allow proposal (the policy's approver role, not the proposer)",
    bodySchema: approveBody,
    async handler(ctx, req) {
      const body = approveBody.parse(req.body);
      return approve(ctx, req.params.id!, { approval_id: body.approval_id, approver: body.as });
    },
  },
  {
    method: 'POST',
    path: '/api/v1/guard/proposals/:id/release',
    actsAs: true,
    summary:
      "The approved payload for an external deployment controller (the policy's approver role or admin; Warden applies nothing)",
    bodySchema: releaseBody,
    handler: (ctx, req) => release(ctx, req.params.id!, releaseBody.parse(req.body).as),
  },
  {
    method: 'GET',
    path: '/api/v1/guard/proposals/:id/bundle',
    summary: 'Manifest, decision, approval, rollback id and payload of a released proposal as one audit record',
    handler: (ctx, req) => proposalBundle(ctx, req.params.id!),
  },
  {
    method: 'GET',
    path: '/api/v1/guard/proposals/:id/safety-event',
    summary:
      "The safety event of the proposal's decision; with ?hook_id=… (and hook_scope, request_id, tenant_id, " +
      "latency_ms) the same decision as an event for that hook, with the seed's defaults",
    handler(ctx, req) {
      const q = req.query;
      if (![...q.keys()].some((k) => SAFETY_EVENT_QUERY.includes(k))) return toSafetyEvent(ctx, req.params.id!);
      const latency = q.get('latency_ms');
      return toSafetyEvent(ctx, req.params.id!, {
        hookId: q.get('hook_id') ?? '',
        ...(q.has('hook_scope') ? { hookScope: q.get('hook_scope') as SafetyEventRequest['hookScope'] } : {}),
        ...(q.has('request_id') ? { requestId: q.get('request_id')! } : {}),
        ...(q.has('tenant_id') ? { tenantId: q.get('tenant_id')! } : {}),
        ...(latency !== null ? { latencyMs: latency.trim() === '' ? Number.NaN : Number(latency) } : {}),
      });
    },
  },
];
