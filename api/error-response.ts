import { randomBytes } from 'node:crypto';
import { ZodError } from 'zod';
import { describeError } from '../client/errors';
import { TokenRefusedError } from '../client/verified-tokens';
import { fieldIssues } from '../domain/input/field-issues';
import { InvalidRequest } from './invalid-request';
import { HttpError } from './route';

export interface ErrorResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * The answer to a request that failed. Refusals name the field (`issues`); a 503 says the backing
 * service is down and when to try again; an unexpected error is a 500 that carries a reference to
 * the server's log, never the error's own text (it may quote the database, the schema or a secret).
 */
export function errorResponse(
  error: unknown,
  log: (line: string) => void = (line) => console.error(line),
): ErrorResponse {
  if (error instanceof InvalidRequest)
    return { status: 400, body: { error: 'invalid request', issues: error.issues }, headers: {} };
  if (error instanceof HttpError) {
    const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer realm="warden"' } : {};
    return { status: error.status, body: { error: error.message, details: error.details }, headers };
  }
  // A cached token that a write found revoked or expired: what authentication would have said.
  if (error instanceof TokenRefusedError)
    return { status: 401, body: { error: error.message }, headers: { 'www-authenticate': 'Bearer realm="warden"' } };
  if (error instanceof ZodError) {
    return {
      status: 400,
      body: { error: 'invalid request', issues: fieldIssues(error.issues, { whole: '(body)' }) },
      headers: {},
    };
  }
  const described = describeError(error);
  if (described.status === 503)
    return { status: 503, body: { error: described.message }, headers: { 'retry-after': '5' } };
  if (described.status < 500) return { status: described.status, body: { error: described.message }, headers: {} };
  const reference = `err_${randomBytes(6).toString('hex')}`;
  log(
    `warden api: internal error ${reference}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return { status: 500, body: { error: `internal error (reference ${reference} in the server log)` }, headers: {} };
}
