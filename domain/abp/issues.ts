import type { z } from 'zod';

/** "scope.modules[0]: expected string" — every zod issue with the field it concerns. */
export function describeZodIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    const where = [prefix, path].filter((p) => p !== '').join('.');
    return `${where === '' ? '(document)' : where}: ${issue.message}`;
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
