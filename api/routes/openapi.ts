import { openApiDocument } from '../openapi';
import type { Route } from '../route';

/** `GET /openapi.json`, built from the same route table the server answers from. */
export function openApiRoutes(all: () => Route[]): Route[] {
  return [
    {
      method: 'GET',
      path: '/openapi.json',
      public: true,
      summary: 'This document',
      handler: async (ctx) => openApiDocument(all(), ctx.config.http.url),
    },
  ];
}
