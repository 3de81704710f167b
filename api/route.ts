import type { IncomingMessage } from 'node:http';
import type { WardenContext } from '../client/context';

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body, or the raw text for non-JSON content types (NDJSON intake). */
  body: unknown;
  raw: IncomingMessage;
}

export interface ApiResponse {
  status?: number;
  body: unknown;
  /** Set for a non-JSON answer (e.g. Prometheus text): `body` is then sent as-is. */
  contentType?: string;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `:name` parameters, e.g. `/api/v1/reviews/:id/approve`. */
  path: string;
  handler(ctx: WardenContext, req: ApiRequest): Promise<ApiResponse | unknown>;
}

/** Errors that carry their HTTP status; anything else is a 500. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'HttpError';
  }
}
