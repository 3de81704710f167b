import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { WardenContext } from '../client/context';
import { authenticate, bindActingPrincipal } from './auth';
import { errorResponse } from './error-response';
import { checkJsonBody, checkPathParameters, checkQueryParameters } from './request-input-checks';
import { decodePathParameter, parseRequestTarget } from './request-target';
import { HttpError, type ApiResponse, type Route } from './route';
import { RouteTable } from './route-table';
import { routes as defaultRoutes } from './routes';

const MAX_BODY = 16 * 1024 * 1024;

/**
 * The body as JSON (or text for non-JSON types). Read from the stream's events rather than its
 * async iterator, which builds an iterator, a promise per chunk and an end-of-stream watcher for
 * what is one chunk on the hot routes.
 */
function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        // As leaving a for-await loop over the request did: the stream is destroyed.
        req.off('data', onData);
        req.destroy();
        reject(new HttpError(413, `request body larger than ${MAX_BODY} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('error', reject);
    // A client gone before the end: settles nothing if the body was read (a promise settles once).
    req.on('close', () => reject(new Error('the request closed before its body was read')));
    req.on('end', () => {
      if (size > MAX_BODY) return;
      try {
        resolve(
          parseBody(req, chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
        );
      } catch (error) {
        reject(error);
      }
    });
  });
}

function parseBody(req: IncomingMessage, text: string): unknown {
  if (text === '') return undefined;
  const type = req.headers['content-type'] ?? 'application/json';
  if (!type.includes('json') || type.includes('ndjson')) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function isApiResponse(value: unknown): value is ApiResponse {
  return (
    value !== null &&
    typeof value === 'object' &&
    'body' in value &&
    Object.keys(value).every((k) => k === 'body' || k === 'status' || k === 'contentType')
  );
}

/** One request from its request line to its answer; everything it throws is answered by the caller. */
async function answer(
  ctx: WardenContext,
  table: RouteTable,
  req: IncomingMessage,
  res: ServerResponse,
  seen: { route?: Route },
): Promise<void> {
  const { path, query } = parseRequestTarget(req.url);
  const match = table.match(req.method, path);
  seen.route = match.route;
  const values = match.values;
  const params = Object.fromEntries(match.names.map((n, i) => [n, decodePathParameter(n, values[i] ?? '')]));
  checkPathParameters(params);
  checkQueryParameters(query);
  const caller = await authenticate(ctx, req, match.route);
  const principal = caller?.principal;
  let body = req.method === 'GET' ? undefined : await readBody(req);
  checkJsonBody(body);
  if (principal && req.method !== 'GET')
    body = bindActingPrincipal(principal, body, query, match.route.actsAs === true);
  const result = await match.route.handler(ctx, { params, query, body, raw: req, ...caller });
  if (isApiResponse(result) && result.contentType)
    res.writeHead(result.status ?? 200, { 'content-type': result.contentType }).end(String(result.body));
  else if (isApiResponse(result)) send(res, result.status ?? 200, result.body);
  else send(res, 200, result);
}

/** Answers a failed request; if even that fails (the client went away), the connection is dropped. */
function answerFailure(res: ServerResponse, error: unknown, route: Route | undefined): void {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { status, body, headers } = (route?.errorFormat ?? errorResponse)(error);
    send(res, status, body, headers);
  } catch {
    res.destroy();
  }
}

/**
 * Warden's HTTP API: JSON in and out, zod-validated bodies, errors with the field they concern.
 * Every request, from the parsing of its request line on, runs inside one error boundary: no
 * request can end the process, and a malformed one is a 400.
 */
export function createApiServer(ctx: WardenContext, routes: Route[] = defaultRoutes): Server {
  const table = new RouteTable(routes);
  return createServer((req, res) => {
    const seen: { route?: Route } = {};
    answer(ctx, table, req, res, seen).catch((error: unknown) => answerFailure(res, error, seen.route));
  });
}
