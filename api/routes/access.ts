import { z } from 'zod';
import {
  createToken,
  grantPrincipal,
  MAX_ROLES_PER_PRINCIPAL,
  principals,
  revokeToken,
  tokens,
} from '../../client/access';
import { KEY_TEXT_BYTES, storableText } from '../../domain/input/storable-text';
import { ADMIN_ROLE } from '../auth';
import type { Route } from '../route';

const principalBody = z.strictObject({
  name: storableText(KEY_TEXT_BYTES),
  roles: z
    .array(storableText(KEY_TEXT_BYTES))
    .min(1, 'at least one role')
    .max(MAX_ROLES_PER_PRINCIPAL, `at most ${MAX_ROLES_PER_PRINCIPAL} roles`),
});
const tokenBody = z.strictObject({
  principal: storableText(KEY_TEXT_BYTES),
  label: storableText(KEY_TEXT_BYTES).max(200).optional(),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

/** Principals, their roles and API tokens. */
export const accessRoutes: Route[] = [
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
    handler: async (ctx, req) => ({ tokens: await tokens(ctx, req.query.get('principal') ?? undefined) }),
  },
  {
    method: 'POST',
    path: '/api/v1/tokens',
    roles: [ADMIN_ROLE],
    summary: 'Create an API token for a principal; the token is shown only in this answer',
    bodySchema: tokenBody,
    async handler(ctx, req) {
      const b = tokenBody.parse(req.body);
      const created = await createToken(
        ctx,
        { principal: b.principal, label: b.label ?? '', expiresInDays: b.expires_in_days },
        req.principal!.name,
      );
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
];
