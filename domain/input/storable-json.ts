import { textStorageProblem, KEY_TEXT_BYTES, LINE_TEXT_BYTES } from './storable-text';

/**
 * A JSON document as `jsonb` (and a Temporal payload) stores it: every key and string storable
 * text, every number finite, nested at most MAX_JSON_DEPTH deep and at most `maxBytes` in all.
 * Walked without recursion, so a hostile document cannot exhaust the stack.
 */
export const MAX_JSON_DEPTH = 64;
/** Documents (ABP specs, review outputs, request bodies) travel in Temporal payloads (2 MB at most). */
export const JSON_DOCUMENT_BYTES = 1024 * 1024;

export interface JsonStorageIssue {
  path: (string | number)[];
  message: string;
}

export interface JsonStorageLimits {
  /** Per string value (keys are always KEY_TEXT_BYTES). */
  maxStringBytes?: number;
  /** The whole document, as JSON text. */
  maxBytes?: number;
}

/** Every place `value` would not survive storage; empty when it would. Stops after `maxIssues`. */
export function jsonStorageIssues(value: unknown, limits: JsonStorageLimits = {}, maxIssues = 20): JsonStorageIssue[] {
  const maxString = limits.maxStringBytes ?? LINE_TEXT_BYTES;
  const issues: JsonStorageIssue[] = [];
  let bytes = 0;
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0 && issues.length < maxIssues) {
    const { value: v, path } = stack.pop()!;
    if (path.length > MAX_JSON_DEPTH) {
      issues.push({ path, message: `nested more than ${MAX_JSON_DEPTH} levels deep` });
      continue;
    }
    if (typeof v === 'string') {
      bytes += v.length + 2;
      const problem = textStorageProblem(v, maxString);
      if (problem) issues.push({ path, message: problem });
    } else if (typeof v === 'number') {
      bytes += 8;
      if (!Number.isFinite(v)) issues.push({ path, message: 'must be a finite number' });
    } else if (Array.isArray(v)) {
      bytes += 2;
      for (let i = v.length - 1; i >= 0; i -= 1) stack.push({ value: v[i], path: [...path, i] });
    } else if (v !== null && typeof v === 'object') {
      bytes += 2;
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, child] = entries[i]!;
        bytes += key.length + 3;
        const problem = textStorageProblem(key, KEY_TEXT_BYTES);
        if (problem) issues.push({ path: [...path, key], message: `key ${problem}` });
        stack.push({ value: child, path: [...path, key] });
      }
    } else bytes += 5;
    if (limits.maxBytes !== undefined && bytes > limits.maxBytes) {
      issues.push({ path: [], message: `must be at most ${limits.maxBytes} bytes of JSON` });
      break;
    }
  }
  return issues;
}

/** For `.superRefine`: reports each issue at its path under the schema's own. */
export function refineStorableJson(limits: JsonStorageLimits = {}) {
  return (
    value: unknown,
    ctx: { addIssue(issue: { code: 'custom'; message: string; path: (string | number)[]; input: unknown }): void },
  ) => {
    for (const issue of jsonStorageIssues(value, limits))
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: value });
  };
}
