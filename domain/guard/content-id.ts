import { canonicalJson } from '../canonical-json';
import { sha256Hex } from '../non-workflow/sha256';

// Ids derived from content: equal content, equal id. Uses node:crypto, so this module is for
// activities and clients only and must stay out of any workflow's import graph.
export function contentId(prefix: string, content: unknown): string {
  return `${prefix}${sha256Hex(canonicalJson(content)).slice(0, 32)}`;
}
