import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../api/openapi';
import { routes } from '../../../api/routes';

describe('OpenAPI document', () => {
  const doc = openApiDocument(routes, 'http://127.0.0.1:8787') as any;

  it('describes every route the server answers, with its path parameters', () => {
    for (const route of routes) {
      const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      const names = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]);
      expect((op.parameters ?? []).map((p: { name: string }) => p.name)).toEqual(names);
    }
  });

  it('marks public routes as needing no token and the rest as bearer-protected with 401/403', () => {
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/principals'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/principals'].post.responses).toHaveProperty('403');
    expect(doc.paths['/api/v1/principals'].post['x-warden-roles']).toEqual(['admin']);
  });

  it('carries request bodies as JSON Schema generated from the zod schema the handler uses', () => {
    const schema = doc.paths['/api/v1/principals'].post.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['name', 'roles']);
    expect(schema.properties.roles.minItems).toBe(1);
  });

  it('gives every operation a unique id', () => {
    const ids = Object.values<Record<string, { operationId: string }>>(doc.paths).flatMap((ops) =>
      Object.values(ops).map((o) => o.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });
});
