import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { WardenError, type WardenErrorKind } from '../errors';

/**
 * The one vocabulary of failures that cross the Temporal boundary (activity to workflow, workflow
 * to client): an ApplicationFailure whose type is a WardenError kind. Every surface maps the kind
 * the same way (client/errors.ts: HTTP status and CLI exit code).
 */
export const FAILURE_KINDS: readonly WardenErrorKind[] = [
  'invalid',
  'not_found',
  'conflict',
  'forbidden',
  'unavailable',
];

/**
 * Types the releases before this vocabulary gave their failures. Histories of workflows still
 * running carry them (an activity's refusal is recorded as it was thrown), and so do the results
 * of workflows that failed with them: they keep meaning what they meant.
 */
export const EARLIER_FAILURE_TYPES: Readonly<Record<string, WardenErrorKind>> = {
  ReviewVoteRefused: 'conflict',
  ReviewVoteForbidden: 'forbidden',
  ReviewOutputInvalid: 'invalid',
  GuardRefusal: 'conflict',
  GuardInvalidRequest: 'invalid',
  EvidenceRuleNotMet: 'conflict',
  WebhookDeliveryFailed: 'unavailable',
};

/** The kind a failure type stands for; undefined for a type outside the vocabulary (an SDK's or a bug's). */
export function failureKind(type: string | null | undefined): WardenErrorKind | undefined {
  if (!type) return undefined;
  if ((FAILURE_KINDS as readonly string[]).includes(type)) return type as WardenErrorKind;
  return EARLIER_FAILURE_TYPES[type];
}

export interface FailureOptions {
  /** Default: retrying cannot help, except for 'unavailable' (something outside is down). */
  nonRetryable?: boolean;
  details?: unknown;
  /** Expected failures (a receiver being down) that are recorded, not logged as errors. */
  benign?: boolean;
}

/** A failure of the vocabulary: thrown by activities, and by workflows refusing an Update or failing. */
export function failure(kind: WardenErrorKind, message: string, opts: FailureOptions = {}): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: kind,
    nonRetryable: opts.nonRetryable ?? kind !== 'unavailable',
    ...(opts.details !== undefined ? { details: [opts.details] } : {}),
    ...(opts.benign ? { category: ApplicationFailureCategory.BENIGN } : {}),
  });
}

/** A WardenError as it crosses the boundary: same kind, message and details. */
export function failureOf(error: WardenError): ApplicationFailure {
  return failure(error.kind, error.message, { details: error.details });
}

/** The WardenError a failure of the vocabulary stands for (a type outside it: `fallback`). */
export function wardenErrorOf(failure: ApplicationFailure, fallback: WardenErrorKind = 'conflict'): WardenError {
  const details = failure.details?.[0];
  return new WardenError(failureKind(failure.type) ?? fallback, failure.message, details);
}
