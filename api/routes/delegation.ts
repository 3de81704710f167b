import { z } from 'zod';
import {
  buildAbpFromSpec, checkAbpAction, ingestEvidence, showAbp, triggerCards, verifyAbp,
} from '../../client/delegation';
import { approveReview, dismissReview, dryRunApproval, openReview, reviews, showReview } from '../../client/delegation-reviews';
import { abpJsonSchema } from '../../domain/delegation/json-schema';
import { INTAKE_KINDS } from '../../domain/delegation/intake';
import { ActionSchema } from '../../domain/delegation/action';
import { ReviewReasonSchema } from '../../domain/delegation/review-output';
import { AbpSpecSchema, ReviewOutputKindSchema } from '../../domain/delegation/schema';
import { KEY_TEXT_BYTES, storableText } from '../../domain/input/storable-text';
import { actingPrincipalField as principal, ADMIN_ROLE } from '../auth';
import { HttpError, type Route } from '../route';

const reason = ReviewReasonSchema;
const openBody = z.strictObject({ abp_id: storableText(KEY_TEXT_BYTES), trigger_id: storableText(KEY_TEXT_BYTES), as: principal });
const approveBody = z.strictObject({ as: principal, output_kind: ReviewOutputKindSchema, document: z.unknown().optional(), reason });
// A dry run records no vote, so its reason may still be empty (a revocation's document needs one).
const dryRunBody = approveBody.extend({ reason: z.string().optional() });
const dryRunFlag = z.enum(['true', 'false']).optional();
const dismissBody = z.strictObject({ as: principal, reason });
const reviewFilter = z.object({
  state: z.enum(['queued', 'open', 'applied', 'dismissed', 'timed_out', 'failed']).optional(),
  abp: storableText(KEY_TEXT_BYTES).optional(),
});

/** The delegation review loop over HTTP: the same operations as the CLI and the client. */
export const delegationRoutes: Route[] = [
  { method: 'GET', path: '/api/v1/abps/schema', public: true, summary: 'The ABP v1 JSON Schema (draft 2020-12)', handler: async () => abpJsonSchema() },
  {
    method: 'POST',
    path: '/api/v1/abps',
    // An ABP is the authority itself: only administrators set one over HTTP.
    roles: [ADMIN_ROLE],
    actsAs: true,
    summary: 'Build an ABP from a spec: validate, compute id and hash, store the version, make it current, stamp its exports',
    bodySchema: AbpSpecSchema,
    async handler(ctx, req) {
      // The acting principal arrives as `as` (query, and body when it is an object); it is not part of the spec.
      const { as: _as, ...spec } = (req.body ?? {}) as Record<string, unknown>;
      const result = await buildAbpFromSpec(ctx, spec, req.query.get('as'));
      return { status: result.created ? 201 : 200, body: result };
    },
  },
  { method: 'GET', path: '/api/v1/abps/:id', summary: 'The current (or latest) version, its status, history and exports', handler: (ctx, req) => showAbp(ctx, req.params.id!) },
  {
    method: 'GET',
    path: '/api/v1/abps/:id/verify',
    summary: 'Recompute hash and id, check contradictions and status, gate every export (422 when anything fails)',
    async handler(ctx, req) {
      const v = await verifyAbp(ctx, req.params.id!);
      return { status: v.ok ? 200 : 422, body: v };
    },
  },
  { method: 'GET', path: '/api/v1/abps/:id/triggers', summary: 'One card per delegation review trigger', handler: async (ctx, req) => ({ cards: await triggerCards(ctx, req.params.id!) }) },
  {
    method: 'POST',
    path: '/api/v1/abps/:id/actions/check',
    summary: "Run the ABP's pre_action and periodic validators on an action and record the verdict",
    bodySchema: ActionSchema,
    handler: (ctx, req) => checkAbpAction(ctx, req.params.id!, req.body),
  },
  {
    method: 'POST',
    path: '/api/v1/evidence',
    actsAs: true,
    summary: 'Ingest NDJSON drift signals, coherence runs and claims (?kind= for the whole file); one bad row refuses the batch',
    async handler(ctx, req) {
      if (typeof req.body !== 'string') throw new HttpError(400, 'send the batch as NDJSON (content-type application/x-ndjson)');
      const kind = z.enum(INTAKE_KINDS).optional().parse(req.query.get('kind') ?? undefined);
      return ingestEvidence(ctx, req.body, { kind, actor: req.query.get('as') });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/reviews',
    summary: 'Delegation reviews (?state=, ?abp=)',
    async handler(ctx, req) {
      const f = reviewFilter.parse(Object.fromEntries(req.query));
      return { reviews: await reviews(ctx, { state: f.state, abpId: f.abp }) };
    },
  },
  { method: 'GET', path: '/api/v1/reviews/:id', summary: 'A review with its votes, live workflow state and outcome', handler: (ctx, req) => showReview(ctx, req.params.id!) },
  {
    method: 'POST',
    path: '/api/v1/reviews',
    actsAs: true,
    summary: 'Open a review by hand (a queued one, or a new one)',
    bodySchema: openBody,
    async handler(ctx, req) {
      const b = openBody.parse(req.body);
      return { status: 201, body: await openReview(ctx, b.abp_id, b.trigger_id, b.as) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/reviews/:id/approve',
    actsAs: true,
    summary:
      'Approve an output (abp_patch with a JSON Merge Patch, abp_replace with a spec, abp_revoke); ?dry_run=true answers the ' +
      'resulting ABP diff, new hash and export gates (or the problems by field) and records nothing',
    bodySchema: approveBody,
    async handler(ctx, req) {
      if (dryRunFlag.parse(req.query.get('dry_run') ?? undefined) === 'true') {
        const d = dryRunBody.parse(req.body);
        const document = d.output_kind === 'abp_revoke' ? { reason: d.reason ?? '' } : d.document;
        return dryRunApproval(ctx, req.params.id!, { principal: d.as, outputKind: d.output_kind, document });
      }
      const b = approveBody.parse(req.body);
      const document = b.output_kind === 'abp_revoke' ? { reason: b.reason } : b.document;
      return approveReview(ctx, req.params.id!, { principal: b.as, outputKind: b.output_kind, document, reason: b.reason });
    },
  },
  {
    method: 'POST',
    path: '/api/v1/reviews/:id/dismiss',
    actsAs: true,
    summary: 'End a review without changing the ABP',
    bodySchema: dismissBody,
    async handler(ctx, req) {
      const b = dismissBody.parse(req.body);
      return dismissReview(ctx, req.params.id!, { principal: b.as, reason: b.reason });
    },
  },
];
