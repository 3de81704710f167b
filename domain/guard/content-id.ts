import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';

// Ids derived from content: equal content, equal id. Uses node:crypto, so this module is for
// activities and clients only and must stay out of any workflow's import graph.
export function contentId(prefix: string, content: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(content)).digest('hex');
  return `${prefix}${digest.slice(0, 32)}`;
}
