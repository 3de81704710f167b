import { z } from 'zod';
import {
  buildAbpFromSpec,
  checkAbpAction,
  clearDegradedAgent,
  composeAbp,
  evaluationResult,
  ingestEvidence,
  readExport,
  reportActionOutcome,
  showAbp,
  triggerCards,
  verifyAbp,
} from '../../client/delegation';
import { abpVersionDiff, reviewVersionDiff } from '../../client/abp-version-diff';
import { reviewEvidence } from '../../client/review-evidence';
import { ActionOutcomeSchema } from '../../domain/delegation/action-outcome';
import {
  approveReview,
  dismissReview,
  dryRunApproval,
  openReview,
  reviews,
  showReview,
} from '../../client/delegation-reviews';
import { abpJsonSchema } from '../../domain/delegation/json-schema';
import { INTAKE_KINDS } from '../../domain/delegation/intake';
import { ActionSchema } from '../../domain/delegation/action';
import { ReviewReasonSchema } from '../../domain/delegation/review-output';
import { AbpSpecSchema, ReviewOutputKindSchema } from '../../domain/delegation/schema';
import { KEY_TEXT_BYTES, storableText } from '../../domain/input/storable-text';
import { actingPrincipalField as principal, ADMIN_ROLE } from '../auth';
import { HttpError, type Route } from '../route';

const reason = ReviewReasonSchema;
/** `?wait=evaluation`: answer with the trigger evaluation the write caused, instead of at once. */
const waitQuery = z.enum(['evaluation']).optional();
const waitForEvaluation = (query: URLSearchParams) => waitQuery.parse(query.get('wait') ?? undefined) === 'evaluation';
const openBody = z.strictObject({
  abp_id: storableText(KEY_TEXT_BYTES),
  trigger_id: storableText(KEY_TEXT_BYTES),
  as: principal,
});
const approveBody = z.strictObject({
  as: principal,
  output_kind: ReviewOutputKindSchema.optional(),
  document: z.unknown().optional(),
  reason,
});
// A dry run records no vote, so its reason may still be empty (a revocation's document needs one).
const dryRunBody = approveBody.extend({ reason: z.string().optional() });
const dryRunFlag = z.enum(['true', 'false']).optional();
const dismissBody = z.strictObject({ as: principal, reason });
// The outcome as the CLI reads it from its file, plus who reports it (filled from the token).
const outcomeBody = ActionOutcomeSchema.extend({ as: principal });
const clearBody = z.strictObject({
  as: principal,
  agent_id: storableText(KEY_TEXT_BYTES).min(1).nullable().default(null),
  reason,
});
const composeBody = z.strictObject({ as: principal, children: z.array(z.string()).min(1).max(100) });
const reviewFilter = z.object({
  state: z.enum(['queued', 'open', 'applied', 'dismissed', 'timed_out', 'failed']).optional(),
  abp: storableText(KEY_TEXT_BYTES).optional(),
});

/** The delegation review loop over HTTP: the same operations as the CLI and the client. */
export const delegationRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/abps/schema',
    public: true,
    summary: 'The ABP v1 JSON Schema (draft 2020-12)',
    handler: async () => abpJsonSchema(),
  },
  {
    method: 'POST',
    path: '/api/v1/abps',
    // An ABP is the authority itself: only administrators set one over HTTP.
    roles: [ADMIN_ROLE],
    actsAs: true,
    summary:
      'Build an ABP from a spec: validate, compute id and hash, store the version, make it current, stamp its exports',
    bodySchema: AbpSpecSchema,
    async handler(ctx, req) {
      // The acting principal arrives as `as` (query, and body when it is an object); it is not part of the spec.
      const { as: _as, ...spec } = (req.body ?? {}) as Record<string, unknown>;
      const result = await buildAbpFromSpec(ctx, spec, req.query.get('as'));
      return { status: result.created ? 201 : 200, body: result };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/abps/:id',
    summary: 'The current (or latest) version, its status, history and exports',
    handler: (ctx, req) => showAbp(ctx, req.params.id!),
  },
  {
    method: 'GET',
    path: '/api/v1/abps/:id/diff',
    summary:
      'Field by field, one version against another (?from=N&to=M, numbers from 1; to defaults to the current, ' +
      'from to the one before it)',
    handler: (ctx, req) => abpVersionDiff(ctx, req.params.id!, Object.fromEntries(req.query)),
  },
  {
    method: 'GET',
    path: '/api/v1/abps/:id/verify',
    summary: 'Recompute hash and id, check contradictions and status, gate every export (422 when anything fails)',
    async handler(ctx, req) {
      const v = await verifyAbp(ctx, req.params.id!);
      return { status: v.ok ? 200 : 422, body: v };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/abps/:id/compose',
    // Composition changes the authority of every ABP it names: administrators only, as for building.
    roles: [ADMIN_ROLE],
    actsAs: true,
    summary:
      "Compose: a new parent version listing the children by id and hash; each child's composition.parent_* stamped",
    bodySchema: composeBody,
    async handler(ctx, req) {
      const b = composeBody.parse(req.body);
      return { status: 201, body: await composeAbp(ctx, req.params.id!, b.children, b.as) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/abps/:id/exports/:exportId',
    summary: "One export's document as stored (PostgreSQL, or the export directory with WARDEN_EXPORT_SINK=file)",
    handler: (ctx, req) => readExport(ctx, req.params.id!, req.params.exportId!),
  },
  {
    method: 'GET',
    path: '/api/v1/abps/:id/triggers',
    summary: 'One card per delegation review trigger',
    handler: async (ctx, req) => ({ cards: await triggerCards(ctx, req.params.id!) }),
  },
  {
    method: 'POST',
    path: '/api/v1/abps/:id/actions/check',
    summary:
      "Run the ABP's pre_action and periodic validators on an action and record the verdict (?wait=evaluation: " +
      'also wait for the trigger evaluation a blocked irreversible action causes)',
    bodySchema: ActionSchema,
    revalidatesToken: true,
    handler: (ctx, req) =>
      checkAbpAction(ctx, req.params.id!, req.body, {
        waitForEvaluation: waitForEvaluation(req.query),
        ...(req.tokenId ? { caller: { tokenId: req.tokenId } } : {}),
      }),
  },
  {
    method: 'GET',
    path: '/api/v1/abps/:id/evaluations/:requestId',
    summary:
      "The trigger evaluation that answered a write's request (evaluationRequests of its answer); 404 until it ran",
    async handler(ctx, req) {
      const evaluation = await evaluationResult(ctx, req.params.id!, req.params.requestId!);
      if (!evaluation)
        throw new HttpError(404, `no evaluation for request ${req.params.requestId} of ${req.params.id} yet`);
      return { evaluation };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/abps/:id/actions/:check_id/outcome',
    actsAs: true,
    summary: "Report an allowed action's outcome: run the ABP's post_action validators and apply their fail_action",
    bodySchema: outcomeBody,
    async handler(ctx, req) {
      const { as, ...outcome } = outcomeBody.parse(req.body);
      return { status: 201, body: await reportActionOutcome(ctx, req.params.id!, req.params.check_id!, outcome, as) };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/abps/:id/degradations/clear',
    actsAs: true,
    summary: 'Let an agent degraded by a post_action validator act again (role operator or admin)',
    bodySchema: clearBody,
    async handler(ctx, req) {
      const b = clearBody.parse(req.body);
      return clearDegradedAgent(ctx, req.params.id!, b.agent_id, { principal: b.as, reason: b.reason });
    },
  },
  {
    method: 'POST',
    path: '/api/v1/evidence',
    actsAs: true,
    revalidatesToken: true,
    summary:
      'Ingest NDJSON drift signals, coherence runs and claims (?kind= for the whole file); one bad row refuses the batch; ' +
      'answers once stored (?wait=evaluation: once the triggers are evaluated too)',
    async handler(ctx, req) {
      if (typeof req.body !== 'string')
        throw new HttpError(400, 'send the batch as NDJSON (content-type application/x-ndjson)');
      const kind = z
        .enum(INTAKE_KINDS)
        .optional()
        .parse(req.query.get('kind') ?? undefined);
      return ingestEvidence(ctx, req.body, {
        kind,
        actor: req.query.get('as'),
        waitForEvaluation: waitForEvaluation(req.query),
        ...(req.tokenId ? { caller: { tokenId: req.tokenId } } : {}),
      });
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
  {
    method: 'GET',
    path: '/api/v1/reviews/:id',
    summary:
      'A review with its votes, outcome, deadline (opened_at + timeout, from the row) and live workflow state ' +
      '(live is null while the review has no workflow: queued, or open and dormant until its first vote or its ' +
      'deadline nears)',
    handler: (ctx, req) => showReview(ctx, req.params.id!),
  },
  {
    method: 'GET',
    path: '/api/v1/reviews/:id/evidence',
    summary:
      'The evidence rows its trigger counted when the review was queued, newest first (?limit=1..200, ?offset=): ids, ' +
      'names, times and values only',
    handler: (ctx, req) => reviewEvidence(ctx, req.params.id!, Object.fromEntries(req.query)),
  },
  {
    method: 'GET',
    path: '/api/v1/reviews/:id/diff',
    summary: 'The ABP version the review was opened on against the one it applied (or the current one)',
    handler: (ctx, req) => reviewVersionDiff(ctx, req.params.id!),
  },
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
      'Approve an output (abp_patch with a JSON Merge Patch, abp_replace with a spec, abp_revoke); ' +
      "output_kind defaults to the review policy's output; ?dry_run=true answers the resulting ABP diff, new hash and " +
      'export gates (or the problems by field) and records nothing',
    bodySchema: approveBody,
    async handler(ctx, req) {
      if (dryRunFlag.parse(req.query.get('dry_run') ?? undefined) === 'true') {
        const d = dryRunBody.parse(req.body);
        const document = d.output_kind === 'abp_revoke' ? { reason: d.reason ?? '' } : d.document;
        return dryRunApproval(ctx, req.params.id!, { principal: d.as, outputKind: d.output_kind, document });
      }
      const b = approveBody.parse(req.body);
      const document = b.output_kind === 'abp_revoke' ? { reason: b.reason } : b.document;
      return approveReview(ctx, req.params.id!, {
        principal: b.as,
        outputKind: b.output_kind,
        document,
        reason: b.reason,
      });
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
