// Words that must never appear in text leaving Warden as a tenant-safe record (safety
// events, GuardDecision attributes). The list is the original director-ai one; the match is
// a substring match on the lower-cased text with '_' folded to '-', so "api_token" and
// "API-Token" are both caught.
export const FORBIDDEN_TEXT_PARTS = [
  'credential',
  'image',
  'password',
  'private-key',
  'prompt',
  'raw',
  'secret',
  'sensor',
  'token',
] as const;

// "token_id" names an identifier, not a secret; the original allows exactly these spellings.
const ALLOWED_EXACT = new Set(['token-id']);

export function forbiddenPartIn(text: string): string | undefined {
  const folded = text.toLowerCase().replaceAll('_', '-');
  if (ALLOWED_EXACT.has(folded)) return undefined;
  return FORBIDDEN_TEXT_PARTS.find((part) => folded.includes(part));
}
