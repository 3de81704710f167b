import { z } from 'zod';
import {
  ID_PATTERN,
  MAX_ID_LENGTH,
  identifierAlphabet,
  identifierRequired,
  identifierTooLong,
} from './identifier-rules';
import { forbiddenPartIn } from './tenant-safe-text';

/** An identifier at the boundary (the rules, and why, are in identifier-rules.ts). */
export function identifier(what: string) {
  return z
    .string({ error: identifierRequired(what) })
    .trim()
    .min(1, identifierRequired(what))
    .max(MAX_ID_LENGTH, identifierTooLong(what))
    .regex(ID_PATTERN, identifierAlphabet(what));
}

// An identifier that is also copied into tenant-safe records must not contain words such
// records refuse (e.g. an event id "evt-token-7" would make the safety event invalid).
export function tenantSafeIdentifier(what: string) {
  return identifier(what).refine((value) => forbiddenPartIn(value) === undefined, {
    error: (issue) => `${what} must be tenant-safe (contains "${forbiddenPartIn(String(issue.input))}")`,
  });
}
