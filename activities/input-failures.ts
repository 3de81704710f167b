import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { databaseErrorKind, describeDatabaseRefusal } from '../db/database-errors';
import { UnknownPrincipalError } from '../db/access/principals';
import { WardenError } from '../domain/errors';

/**
 * Errors that retrying cannot fix because the input is at fault: a schema refusal, a refusal of
 * ours (not_found, forbidden, conflict, invalid), an unknown principal, a value the database
 * refuses, or a RangeError (an out-of-range date or number). They become non-retryable failures
 * whose type is the error's kind, so the workflow step fails at once with the reason instead of
 * retrying for ever while its caller waits. Everything else (the database or a model being down,
 * a unique-key race a retry resolves, a bug fixed by a redeploy) is left to the retry policy.
 */
export function nonRetryableFailure(error: unknown): ApplicationFailure | undefined {
  if (error instanceof ApplicationFailure) return undefined;
  if (error instanceof ZodError) {
    const message = error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    return ApplicationFailure.nonRetryable(message, 'invalid');
  }
  if (error instanceof WardenError) return error.kind === 'unavailable' ? undefined : ApplicationFailure.nonRetryable(error.message, error.kind);
  if (error instanceof UnknownPrincipalError) return ApplicationFailure.nonRetryable(error.message, 'forbidden');
  const db = databaseErrorKind(error);
  if (db === 'input') return ApplicationFailure.nonRetryable(describeDatabaseRefusal(error), 'invalid');
  if (error instanceof RangeError) return ApplicationFailure.nonRetryable(`out of range: ${error.message}`, 'invalid');
  return undefined;
}

/** Runs `work`, turning input errors into non-retryable failures (see nonRetryableFailure). */
export async function failFastOnInputErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw nonRetryableFailure(error) ?? error;
  }
}

type AsyncFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

/** Every activity of `activities` with failFastOnInputErrors around it (registered once, in createActivities). */
export function withInputFailuresNonRetryable<T extends AsyncFunctions>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, run]) => [name, (...args: never[]) => failFastOnInputErrors(() => run(...args))]),
  ) as T;
}
