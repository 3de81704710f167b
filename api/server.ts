import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import type { WardenContext } from '../client/context';
import { describeError } from '../client/errors';
import { authenticate, bindActingPrincipal } from './auth';
import { HttpError, type ApiResponse, type Route } from './route';
import { routes as defaultRoutes } from './routes';

const MAX_BODY = 16 * 1024 * 1024;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), names };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  const type = req.headers['content-type'] ?? 'application/json';
  if (!type.includes('json') || type.includes('ndjson')) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function isApiResponse(value: unknown): value is ApiResponse {
  return value !== null && typeof value === 'object' && 'body' in value && Object.keys(value).every((k) => k === 'body' || k === 'status' || k === 'contentType');
}

/** Warden's HTTP API: JSON in and out, zod-validated bodies, errors with the field they concern. */
export function createApiServer(ctx: WardenContext, routes: Route[] = defaultRoutes): Server {
  const compiled = routes.map(compile);
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://warden.local');
    try {
      const candidates = compiled.filter((c) => c.pattern.test(url.pathname));
      if (candidates.length === 0) throw new HttpError(404, `no route for ${url.pathname}`);
      const match = candidates.find((c) => c.route.method === req.method);
      if (!match) throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`);
      const values = match.pattern.exec(url.pathname)!.slice(1);
      const params = Object.fromEntries(match.names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')]));
      const principal = await authenticate(ctx, req, match.route);
      let body = req.method === 'GET' ? undefined : await readBody(req);
      if (principal && req.method !== 'GET') body = bindActingPrincipal(principal, body, url.searchParams, match.route.actsAs === true);
      const result = await match.route.handler(ctx, { params, query: url.searchParams, body, raw: req, ...(principal ? { principal } : {}) });
      if (isApiResponse(result) && result.contentType) res.writeHead(result.status ?? 200, { 'content-type': result.contentType }).end(String(result.body));
      else if (isApiResponse(result)) send(res, result.status ?? 200, result.body);
      else send(res, 200, result);
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.status === 401) res.setHeader('www-authenticate', 'Bearer realm="warden"');
        return send(res, error.status, { error: error.message, details: error.details });
      }
      if (error instanceof ZodError) {
        return send(res, 400, {
          error: 'invalid request',
          issues: error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
        });
      }
      const described = describeError(error);
      send(res, described.status, { error: described.message });
    }
  });
}
