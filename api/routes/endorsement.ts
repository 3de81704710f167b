import { z } from 'zod';
import {
  abort,
  agents,
  chat,
  createAgent,
  CriticalSandboxDivergenceError,
  decide,
  endorseRule,
  endorsementState,
  extend,
  promote,
  showEndorsement,
  showKernel,
} from '../../client/endorsement';
import {
  chatMessageSchema,
  commitmentIdSchema,
  commitmentValueSchema,
  extendSecondsSchema,
  rationaleSchema,
  ruleTextSchema,
} from '../../domain/endorsement/endorsement-request';
import { agentSettingsSchema, settingsOverridesSchema } from '../../domain/endorsement/settings';
import { KEY_TEXT_BYTES, storableText } from '../../domain/input/storable-text';
import { DECISIONS } from '../../domain/endorsement/states';
import { actingPrincipalField as principal } from '../auth';
import type { Route } from '../route';

const decision = z.enum(DECISIONS);
const agentBody = z.strictObject({
  as: principal,
  id: storableText(KEY_TEXT_BYTES),
  kernel: storableText(KEY_TEXT_BYTES).default('default'),
  settings: agentSettingsSchema.optional(),
  probes: z.boolean().default(true),
});
const endorseBody = z.strictObject({
  rule: ruleTextSchema,
  commitment: commitmentIdSchema.optional(),
  value: commitmentValueSchema.optional(),
  settings: settingsOverridesSchema.optional(),
  as: principal,
  decide: decision.optional(),
  rationale: rationaleSchema.optional(),
});
const chatBody = z.strictObject({ message: chatMessageSchema, waitForShadow: z.boolean().default(false) });
const decideBody = z.strictObject({ decision, as: principal, rationale: rationaleSchema.optional() });
const operatorBody = z.strictObject({ as: principal, rationale: rationaleSchema.optional() });
const promoteBody = operatorBody.extend({ override: z.boolean().optional() });
const extendBody = z.strictObject({ as: principal, seconds: extendSecondsSchema.optional() });

export const endorsementRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/agents',
    summary: 'Every agent with its kernel version and operator role',
    handler: async (ctx) => ({ agents: await agents(ctx) }),
  },
  {
    method: 'POST',
    path: '/api/v1/agents',
    // Creating an agent administers Warden: the client refuses a principal without the admin role.
    actsAs: true,
    async handler(ctx, req) {
      const b = agentBody.parse(req.body);
      return {
        status: 201,
        body: await createAgent(ctx, { id: b.id, kernel: b.kernel, settings: b.settings, probes: b.probes }, b.as),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/agents/:agent/kernel',
    handler: (ctx, req) => showKernel(ctx, req.params.agent!),
  },
  {
    method: 'POST',
    path: '/api/v1/agents/:agent/endorsements',
    // Proposing a rule acts for the token's principal, who needs the agent's operator role.
    actsAs: true,
    summary: "Propose a rule for an agent (the agent's operator role); decide at once with `decide`",
    async handler(ctx, req) {
      const b = endorseBody.parse(req.body);
      const result = await endorseRule(ctx, req.params.agent!, b.rule, {
        ...(b.commitment ? { commitment: b.commitment } : {}),
        ...(b.value ? { value: b.value } : {}),
        ...(b.settings ? { settings: b.settings } : {}),
        requestedBy: b.as,
        ...(b.decide
          ? { decide: { decision: b.decide, principal: b.as, ...(b.rationale ? { rationale: b.rationale } : {}) } }
          : {}),
      });
      return { status: 201, body: result };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/agents/:agent/chat',
    async handler(ctx, req) {
      const b = chatBody.parse(req.body);
      try {
        return await chat(ctx, req.params.agent!, b.message, { waitForShadow: b.waitForShadow });
      } catch (error) {
        if (!(error instanceof CriticalSandboxDivergenceError)) throw error;
        // The live answer is still the answer; the status says the staged change was dropped.
        return {
          status: 409,
          body: {
            error: 'CriticalSandboxDivergence',
            content: error.liveResponse,
            sandboxDivergence: error.score,
            reason: error.reason,
            endorsementId: error.endorsementId,
          },
        };
      }
    },
  },
  {
    method: 'GET',
    path: '/api/v1/endorsements/:id',
    handler: (ctx, req) => showEndorsement(ctx, req.params.id!),
  },
  {
    method: 'GET',
    path: '/api/v1/endorsements/:id/state',
    handler: (ctx, req) => endorsementState(ctx, req.params.id!),
  },
  {
    method: 'POST',
    path: '/api/v1/endorsements/:id/decide',
    async handler(ctx, req) {
      const b = decideBody.parse(req.body);
      return decide(ctx, req.params.id!, b.decision, b.as, b.rationale);
    },
  },
  {
    method: 'POST',
    path: '/api/v1/endorsements/:id/promote',
    summary:
      "Promote now (the agent's operator role); before the evidence rule is met only with override and a rationale",
    bodySchema: promoteBody,
    async handler(ctx, req) {
      const b = promoteBody.parse(req.body);
      return promote(ctx, req.params.id!, b.as, b.rationale, { override: b.override });
    },
  },
  {
    method: 'POST',
    path: '/api/v1/endorsements/:id/abort',
    summary: "Drop a staged or inconclusive endorsement (the agent's operator role)",
    bodySchema: operatorBody,
    async handler(ctx, req) {
      const b = operatorBody.parse(req.body);
      return abort(ctx, req.params.id!, b.as, b.rationale);
    },
  },
  {
    method: 'POST',
    path: '/api/v1/endorsements/:id/extend',
    async handler(ctx, req) {
      const b = extendBody.parse(req.body);
      return extend(ctx, req.params.id!, b.as, b.seconds);
    },
  },
];
