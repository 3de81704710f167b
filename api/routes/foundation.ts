import { z } from 'zod';
import { checkHealth } from '../../client/health';
import { createToken, grantPrincipal, principals, revokeToken } from '../../client/principals';
import { listApiTokens } from '../../db/api-tokens';
import { verifyProvenance } from '../../client/provenance-verify';
import { MAX_ROLES_PER_PRINCIPAL } from '../../db/principals';
import { listProvenance, provenanceFilter } from '../../db/provenance-log';
import { KEY_TEXT_BYTES, storableText } from '../../domain/input/storable-text';
import { ADMIN_ROLE } from '../auth';
import type { Route } from '../route';

const principalBody = z.strictObject({
  name: storableText(KEY_TEXT_BYTES),
  roles: z.array(storableText(KEY_TEXT_BYTES)).min(1, 'at least one role').max(MAX_ROLES_PER_PRINCIPAL, `at most ${MAX_ROLES_PER_PRINCIPAL} roles`),
});
const tokenBody = z.strictObject({
  principal: storableText(KEY_TEXT_BYTES),
  label: storableText(KEY_TEXT_BYTES).max(200).optional(),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

export const foundationRoutes: Route[] = [
  {
    method: 'GET',
    path: '/healthz',
    public: true,
    summary: 'Health of Temporal, the database and the worker (503 when any is down)',
    async handler(ctx) {
      const health = await checkHealth(ctx, { checkApi: false });
      return { status: health.ok ? 200 : 503, body: health };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/me',
    summary: 'The principal the token belongs to, with its roles',
    handler: async (_ctx, req) => ({ principal: req.principal }),
  },
  {
    method: 'GET',
    path: '/api/v1/principals',
    summary: 'Principals and their roles',
    handler: async (ctx) => ({ principals: await principals(ctx) }),
  },
  {
    method: 'POST',
    path: '/api/v1/principals',
    roles: [ADMIN_ROLE],
    summary: 'Add a principal or grant it more roles',
    bodySchema: principalBody,
    async handler(ctx, req) {
      const body = principalBody.parse(req.body);
      return { status: 201, body: await grantPrincipal(ctx, body.name, body.roles, req.principal!.name) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/tokens',
    roles: [ADMIN_ROLE],
    summary: 'API tokens (never their secrets)',
    handler: async (ctx, req) => ({ tokens: await listApiTokens(ctx.pool, req.query.get('principal') ?? undefined) }),
  },
  {
    method: 'POST',
    path: '/api/v1/tokens',
    roles: [ADMIN_ROLE],
    summary: 'Create an API token for a principal; the token is shown only in this answer',
    bodySchema: tokenBody,
    async handler(ctx, req) {
      const b = tokenBody.parse(req.body);
      const created = await createToken(ctx, { principal: b.principal, label: b.label ?? '', expiresInDays: b.expires_in_days }, req.principal!.name);
      return { status: 201, body: created };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/tokens/:id',
    roles: [ADMIN_ROLE],
    summary: 'Revoke an API token',
    handler: (ctx, req) => revokeToken(ctx, req.params.id!, req.principal!.name),
  },
  {
    method: 'GET',
    path: '/api/v1/provenance',
    summary: 'Recent provenance entries, newest first (filters: subject, kind, limit)',
    async handler(ctx, req) {
      const q = req.query;
      const filter = provenanceFilter.parse({ subject: q.get('subject') ?? undefined, kind: q.get('kind') ?? undefined, limit: q.get('limit') ?? undefined });
      return { entries: await listProvenance(ctx.pool, filter) };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/provenance/verify',
    summary: 'Verify the whole provenance chain and its head against the anchor in Temporal; name the first bad entry',
    handler: async (ctx) => verifyProvenance(ctx.pool, ctx.temporal, ctx.provenanceKey),
  },
];
