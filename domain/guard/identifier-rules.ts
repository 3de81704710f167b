/**
 * What an identifier may be, without zod: the proposal workflow checks approvals and requests with
 * these, and every workflow run evaluates the modules it imports afresh. identifiers.ts builds the
 * boundary's zod schemas from the same rules, and a unit test holds the two to the same refusals.
 *
 * Identifiers (event ids, reviewer ids, tenant ids, rollback ids…) end up in manifests, safety
 * events and provenance entries. Restricting them to a token-like alphabet means free text such as
 * a prompt cannot be smuggled into those tenant-safe records through an id.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@/+-]*$/;
export const MAX_ID_LENGTH = 200;

export const identifierRequired = (what: string) => `${what} is required`;
export const identifierTooLong = (what: string) => `${what} must be at most ${MAX_ID_LENGTH} characters`;
export const identifierAlphabet = (what: string) =>
  `${what} may contain only letters, digits and . _ : @ / + - (no spaces)`;

/**
 * The identifier `value` names once trimmed, with every refusal of it in the order the boundary's
 * schema gives them (no string: required alone; else emptiness, length and alphabet, each checked).
 */
export function checkIdentifier(what: string, value: unknown): { value: string; issues: string[] } {
  if (typeof value !== 'string') return { value: '', issues: [identifierRequired(what)] };
  const trimmed = value.trim();
  const issues: string[] = [];
  if (trimmed.length < 1) issues.push(identifierRequired(what));
  if (trimmed.length > MAX_ID_LENGTH) issues.push(identifierTooLong(what));
  if (!ID_PATTERN.test(trimmed)) issues.push(identifierAlphabet(what));
  return { value: trimmed, issues };
}
