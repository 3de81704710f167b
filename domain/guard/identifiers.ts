import { z } from 'zod';
import { forbiddenPartIn } from './tenant-safe-text';

// Identifiers (event ids, reviewer ids, tenant ids, rollback ids…) end up in manifests,
// safety events and provenance entries. Restricting them to a token-like alphabet means
// free text such as a prompt cannot be smuggled into those tenant-safe records through an id.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@/+-]*$/;
export const MAX_ID_LENGTH = 200;

export function identifier(what: string) {
  return z
    .string({ error: `${what} is required` })
    .trim()
    .min(1, `${what} is required`)
    .max(MAX_ID_LENGTH, `${what} must be at most ${MAX_ID_LENGTH} characters`)
    .regex(ID_PATTERN, `${what} may contain only letters, digits and . _ : @ / + - (no spaces)`);
}

// An identifier that is also copied into tenant-safe records must not contain words such
// records refuse (e.g. an event id "evt-token-7" would make the safety event invalid).
export function tenantSafeIdentifier(what: string) {
  return identifier(what).refine((value) => forbiddenPartIn(value) === undefined, {
    error: (issue) => `${what} must be tenant-safe (contains "${forbiddenPartIn(String(issue.input))}")`,
  });
}
