import { z } from 'zod';
import type { Route } from './route';

const errorBody = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    issues: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['error'],
};

const errorResponses = (isPublic: boolean) => ({
  '400': {
    description: 'Invalid request; `issues` names each bad field',
    content: { 'application/json': { schema: errorBody } },
  },
  ...(isPublic
    ? {}
    : {
        '401': {
          description: 'No token, or a malformed, unknown, revoked or expired one',
          content: { 'application/json': { schema: errorBody } },
        },
        '403': {
          description: 'The principal lacks the role, or the token tries to act for someone else',
          content: { 'application/json': { schema: errorBody } },
        },
      }),
  '404': { description: 'Not found', content: { 'application/json': { schema: errorBody } } },
  '409': {
    description: 'Refused by the workflow in its current state',
    content: { 'application/json': { schema: errorBody } },
  },
});

function bodySchema(route: Route): object | undefined {
  if (!route.bodySchema) return undefined;
  try {
    return z.toJSONSchema(route.bodySchema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return { type: 'object' };
  }
}

/** The OpenAPI 3.1 description of every route, generated from the route table itself. */
export function openApiDocument(routes: Route[], serverUrl: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const params = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const schema = bodySchema(route);
    const operation: Record<string, unknown> = {
      summary: route.summary ?? `${route.method} ${route.path}`,
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[:/{}-]+(\w)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(schema ? { requestBody: { required: true, content: { 'application/json': { schema } } } } : {}),
      responses: { '200': { description: 'OK' }, ...errorResponses(route.public === true) },
      security: route.public ? [] : [{ bearer: [] }],
      ...(route.roles ? { 'x-warden-roles': route.roles } : {}),
    };
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Warden HTTP API',
      version: '1',
      description:
        'Every operation of the Warden CLI over HTTP. Send `Authorization: Bearer <token>` (create tokens with `warden token create`). ' +
        'Bodies are validated by the same schemas as the CLI; an error body names each bad field.',
    },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
