import type { ZodError } from 'zod';
import { formatFieldPath } from './field-path';

/** One problem with an input, named by its field: `settings.minSamples`, `scope.modules[0]`. */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface FieldIssueOptions {
  /** What an issue about the input as a whole (an empty path) is called: `input`, `(body)`, `(document)`. */
  whole?: string;
  /** Where the input sits in a larger one (`conditions`): put before every field. */
  prefix?: string;
}

/**
 * The one way a refused input is described, wherever it is refused: a zod schema's issues, or the
 * storage checks' (same shape: a path and a message).
 */
export function fieldIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  opts: FieldIssueOptions = {},
): FieldIssue[] {
  return issues.map((issue) => {
    const field = [opts.prefix ?? '', formatFieldPath(issue.path)].filter((p) => p !== '').join('.');
    return { field: field === '' ? (opts.whole ?? 'input') : field, message: issue.message };
  });
}

/** "field: message" for each issue. */
export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  opts: FieldIssueOptions = {},
): string[] {
  return fieldIssues(issues, opts).map((i) => `${i.field}: ${i.message}`);
}

/** A zod refusal as one line: "rule: must not be empty; settings.minSamples: …". */
export function describeZodError(error: ZodError, opts: FieldIssueOptions = {}): string {
  return describeIssues(error.issues, opts).join('; ');
}
