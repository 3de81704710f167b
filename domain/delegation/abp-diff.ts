import { formatFieldPath } from '../input/field-path';

/** One difference between two JSON documents, at a field path people read ("tools.allow[2].scope"). */
export interface JsonChange {
  path: string;
  op: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * What changed from `before` to `after`: objects key by key, arrays of equal length element by
 * element, anything else (including arrays that grew or shrank) as one change of the whole value,
 * which is how a JSON Merge Patch replaces it too.
 */
export function jsonDiff(before: unknown, after: unknown, path: (string | number)[] = []): JsonChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => {
      const at = [...path, k];
      if (!(k in after)) return [{ path: formatFieldPath(at), op: 'removed' as const, before: before[k] }];
      if (!(k in before)) return [{ path: formatFieldPath(at), op: 'added' as const, after: after[k] }];
      return jsonDiff(before[k], after[k], at);
    });
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => jsonDiff(b, after[i], [...path, i]));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path: formatFieldPath(path) || '(document)', op: 'changed', before, after }];
}
