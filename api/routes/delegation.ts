import { z } from 'zod';
import {
  buildAbpFromSpec, checkAbpAction, ingestEvidence, showAbp, triggerCards, verifyAbp,
} from '../../client/delegation';
import { approveReview, dismissReview, openReview, reviews, showReview } from '../../client/delegation-reviews';
import { abpJsonSchema } from '../../domain/abp/json-schema';
import { INTAKE_KINDS } from '../../domain/abp/intake';
import { ReviewOutputKindSchema } from '../../domain/abp/schema';
import { HttpError, type Route } from '../route';

const principal = z.string().min(1, 'the principal to act for');
const reason = z.string().trim().min(1, 'required');
const openBody = z.strictObject({ abp_id: z.string(), trigger_id: z.string(), as: principal });
const approveBody = z.strictObject({ as: principal, output_kind: ReviewOutputKindSchema, document: z.unknown().optional(), reason });
const dismissBody = z.strictObject({ as: principal, reason });
const reviewFilter = z.object({
  state: z.enum(['queued', 'open', 'applied', 'dismissed', 'timed_out', 'failed']).optional(),
  abp: z.string().optional(),
});

/** The delegation review loop over HTTP: the same operations as the CLI and the client. */
export const delegationRoutes: Route[] = [
  { method: 'GET', path: '/api/v1/abps/schema', handler: async () => abpJsonSchema() },
  {
    method: 'POST',
    path: '/api/v1/abps',
    async handler(ctx, req) {
      const result = await buildAbpFromSpec(ctx, req.body, req.query.get('as'));
      return { status: result.created ? 201 : 200, body: result };
    },
  },
  { method: 'GET', path: '/api/v1/abps/:id', handler: (ctx, req) => showAbp(ctx, req.params.id!) },
  {
    method: 'GET',
    path: '/api/v1/abps/:id/verify',
    async handler(ctx, req) {
      const v = await verifyAbp(ctx, req.params.id!);
      return { status: v.ok ? 200 : 422, body: v };
    },
  },
  { method: 'GET', path: '/api/v1/abps/:id/triggers', handler: async (ctx, req) => ({ cards: await triggerCards(ctx, req.params.id!) }) },
  {
    method: 'POST',
    path: '/api/v1/abps/:id/actions/check',
    handler: (ctx, req) => checkAbpAction(ctx, req.params.id!, req.body),
  },
  {
    method: 'POST',
    path: '/api/v1/evidence',
    async handler(ctx, req) {
      if (typeof req.body !== 'string') throw new HttpError(400, 'send the batch as NDJSON (content-type application/x-ndjson)');
      const kind = z.enum(INTAKE_KINDS).optional().parse(req.query.get('kind') ?? undefined);
      return ingestEvidence(ctx, req.body, { kind, actor: req.query.get('as') });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/reviews',
    async handler(ctx, req) {
      const f = reviewFilter.parse(Object.fromEntries(req.query));
      return { reviews: await reviews(ctx, { state: f.state, abpId: f.abp }) };
    },
  },
  { method: 'GET', path: '/api/v1/reviews/:id', handler: (ctx, req) => showReview(ctx, req.params.id!) },
  {
    method: 'POST',
    path: '/api/v1/reviews',
    async handler(ctx, req) {
      const b = openBody.parse(req.body);
      return { status: 201, body: await openReview(ctx, b.abp_id, b.trigger_id, b.as) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/reviews/:id/approve',
    async handler(ctx, req) {
      const b = approveBody.parse(req.body);
      const document = b.output_kind === 'abp_revoke' ? { reason: b.reason } : b.document;
      return approveReview(ctx, req.params.id!, { principal: b.as, outputKind: b.output_kind, document, reason: b.reason });
    },
  },
  {
    method: 'POST',
    path: '/api/v1/reviews/:id/dismiss',
    async handler(ctx, req) {
      const b = dismissBody.parse(req.body);
      return dismissReview(ctx, req.params.id!, { principal: b.as, reason: b.reason });
    },
  },
];
