import type { IncomingMessage } from 'node:http';
import type { ZodType } from 'zod';
import type { WardenContext } from '../client/context';
import type { Principal } from '../client/access';

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body, or the raw text for non-JSON content types (NDJSON intake). */
  body: unknown;
  raw: IncomingMessage;
  /** Who the bearer token belongs to; absent only on public routes. */
  principal?: Principal;
  /** The bearer token's id, on routes whose write re-validates it (`revalidatesToken`). */
  tokenId?: string;
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
  /** Answered without a token (health, metrics, the OpenAPI document, the dashboard's page). */
  public?: boolean;
  /** The route acts for a person named by `as` (body, or query for NDJSON): filled from the token. */
  actsAs?: boolean;
  /** The caller must hold one of these roles (checked before the handler runs). */
  roles?: string[];
  /**
   * The handler's write re-validates the caller's token (req.tokenId) in its own transaction and
   * refuses a revoked one (TokenRefusedError), so the token may come from this process's cache
   * instead of a read per request: for hot routes that need no role.
   */
  revalidatesToken?: boolean;
  /** One line for the OpenAPI document. */
  summary?: string;
  /** The request body's schema, for the OpenAPI document (handlers still parse it themselves). */
  bodySchema?: ZodType;
  /** How this route's failures look (default: Warden's); e.g. OpenAI's shape on `/v1/…`. */
  errorFormat?: (error: unknown) => { status: number; body: unknown; headers: Record<string, string> };
}

/** Errors that carry their HTTP status; anything else is a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
