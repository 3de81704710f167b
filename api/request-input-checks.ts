import { fieldIssues, type FieldIssue } from '../domain/input/field-issues';
import { JSON_DOCUMENT_BYTES, jsonStorageIssues } from '../domain/input/storable-json';
import { KEY_TEXT_BYTES, LINE_TEXT_BYTES, textStorageProblem } from '../domain/input/storable-text';
import { InvalidRequest } from './invalid-request';

/**
 * The first line of input validation, for every route alike: path parameters, query parameters and
 * JSON bodies must be storable (no NUL, no lone surrogate, bounded sizes, finite numbers, bounded
 * nesting) before any handler sees them. Each route's own schema then checks meaning; these checks
 * only guarantee that nothing reaches PostgreSQL or Temporal in a form they would refuse.
 */
export function checkPathParameters(params: Record<string, string>): void {
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(params)) {
    const problem = textStorageProblem(value, KEY_TEXT_BYTES);
    if (problem) issues.push({ field: `:${name}`, message: problem });
  }
  if (issues.length > 0) throw new InvalidRequest(issues);
}

export function checkQueryParameters(query: URLSearchParams): void {
  const issues: FieldIssue[] = [];
  for (const [name, value] of query) {
    const problem = textStorageProblem(name, KEY_TEXT_BYTES) ?? textStorageProblem(value, LINE_TEXT_BYTES);
    if (problem) issues.push({ field: `?${name.slice(0, 40)}`, message: problem });
  }
  if (issues.length > 0) throw new InvalidRequest(issues);
}

/** JSON bodies: the whole document walked (NDJSON text is checked row by row by its own schema). */
export function checkJsonBody(body: unknown): void {
  if (typeof body === 'string' || body === undefined) return;
  const issues = jsonStorageIssues(body, {
    maxStringBytes: 4 * JSON_DOCUMENT_BYTES,
    maxBytes: 8 * JSON_DOCUMENT_BYTES,
  });
  if (issues.length > 0) {
    throw new InvalidRequest(fieldIssues(issues, { whole: '(body)' }));
  }
}
