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
} from '../../client/guard';
import { calibrationRequestSchema } from '../../domain/guard/calibration-gates';
import { loraRequestSchema } from '../../domain/guard/lora-gates';
import { HttpError, type Route } from '../route';

const principal = z.string().min(1, 'the principal to act for');
const actorBody = z.object({ as: principal.optional() }).passthrough();
const proposalBody = z
  .object({
    policy_id: z.string(),
    source_ref: z.string(),
    as: principal,
    approval_timeout: z.string().optional(),
  })
  .passthrough();
const approveBody = z.strictObject({ approval_id: z.string(), as: principal });

// The request's numbers and ids go through the same schemas the CLI and the client use.
function proposalParts(body: unknown) {
  const { as, approval_timeout, policy_id, source_ref, ...request } = proposalBody.parse(body);
  return {
    common: { policy_id, source_ref, proposer: as, ...(approval_timeout ? { approval_timeout: approval_timeout as Duration } : {}) },
    request,
  };
}

export const guardRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/v1/guard/feedback',
    async handler(ctx, req) {
      // NDJSON body (content-type application/x-ndjson); the acting principal may be named in ?as=.
      if (typeof req.body !== 'string') throw new HttpError(415, 'send reviewed feedback as NDJSON (content-type application/x-ndjson)');
      return { status: 201, body: await ingestFeedback(ctx, req.body, req.query.get('as')) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/guard/policies',
    async handler(ctx, req) {
      const { as, ...policy } = actorBody.parse(req.body);
      const result = await createPolicy(ctx, policy, as ?? null);
      return { status: result.created ? 201 : 200, body: result };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/guard/manifests',
    async handler(ctx, req) {
      const source = req.query.get('source');
      if (!source) throw new HttpError(400, 'source: a feedback:// source ref is required');
      return buildManifest(ctx, source);
    },
  },
  {
    method: 'POST',
    path: '/api/v1/guard/proposals/calibration',
    async handler(ctx, req) {
      const { common, request } = proposalParts(req.body);
      return { status: 201, body: await proposeCalibrationUpdate(ctx, { ...common, ...calibrationRequestSchema.parse(request) }) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/guard/proposals/lora',
    async handler(ctx, req) {
      const { common, request } = proposalParts(req.body);
      return { status: 201, body: await proposeLoraJob(ctx, { ...common, ...loraRequestSchema.parse(request) }) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/guard/proposals/:id',
    handler: (ctx, req) => showProposal(ctx, req.params.id!),
  },
  {
    method: 'POST',
    path: '/api/v1/guard/proposals/:id/approve',
    async handler(ctx, req) {
      const body = approveBody.parse(req.body);
      return approve(ctx, req.params.id!, { approval_id: body.approval_id, approver: body.as });
    },
  },
  {
    method: 'POST',
    path: '/api/v1/guard/proposals/:id/release',
    handler: (ctx, req) => release(ctx, req.params.id!),
  },
  {
    method: 'GET',
    path: '/api/v1/guard/proposals/:id/bundle',
    handler: (ctx, req) => proposalBundle(ctx, req.params.id!),
  },
  {
    method: 'GET',
    path: '/api/v1/guard/proposals/:id/safety-event',
    handler: (ctx, req) => toSafetyEvent(ctx, req.params.id!),
  },
];
