import { errorResponse, type ErrorResponse } from './error-response';

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  503: 'service_unavailable',
};

/**
 * A failure in OpenAI's shape (`{error: {message, type, param, code}}`), so OpenAI SDKs raise their
 * usual errors: the same status and wording as Warden's own answer, `param` naming the first
 * refused field.
 */
export function openAiErrorResponse(error: unknown): ErrorResponse {
  const warden = errorResponse(error);
  const body = warden.body as { error?: unknown; issues?: { field: string; message: string }[] };
  const first = body.issues?.[0];
  const message = first
    ? body.issues!.map((i) => `${i.field}: ${i.message}`).join('; ')
    : String(body.error ?? 'error');
  return {
    status: warden.status,
    headers: warden.headers,
    body: { error: { message, type: TYPES[warden.status] ?? 'api_error', param: first?.field ?? null, code: null } },
  };
}
