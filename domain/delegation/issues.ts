import type { z } from 'zod';
import { formatFieldPath } from '../input/field-path';

/** "scope.modules[0]: expected string" — every zod issue with the field it concerns. */
export function describeZodIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = formatFieldPath(issue.path);
    const where = [prefix, path].filter((p) => p !== '').join('.');
    return `${where === '' ? '(document)' : where}: ${issue.message}`;
  });
}
