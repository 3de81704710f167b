import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { databaseErrorKind, describeDatabaseRefusal } from '../db/database-errors';
import { WardenError } from '../domain/errors';
import { describeZodError } from '../domain/input/field-issues';
import { failure, failureOf } from '../domain/temporal/failure-types';

/**
 * Errors that retrying cannot fix because the input is at fault: a schema refusal, a refusal of
 * ours (not_found, forbidden, conflict, invalid; an unknown principal is 'forbidden'), a value the
 * database refuses, or a RangeError (an out-of-range date or number). They become non-retryable
 * failures of the one vocabulary (domain/temporal/failure-types.ts: the type is the error's kind),
 * so the workflow step fails at once with the reason instead of retrying for ever while its caller
 * waits. Everything else (the database or a model being down, a unique-key race a retry resolves,
 * a bug fixed by a redeploy) is left to the retry policy.
 */
export function nonRetryableFailure(error: unknown): ApplicationFailure | undefined {
  if (error instanceof ApplicationFailure) return undefined;
  if (error instanceof ZodError) return failure('invalid', describeZodError(error));
  if (error instanceof WardenError) return error.kind === 'unavailable' ? undefined : failureOf(error);
  const db = databaseErrorKind(error);
  if (db === 'input') return failure('invalid', describeDatabaseRefusal(error));
  if (error instanceof RangeError) return failure('invalid', `out of range: ${error.message}`);
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
    Object.entries(activities).map(([name, run]) => [
      name,
      (...args: never[]) => failFastOnInputErrors(() => run(...args)),
    ]),
  ) as T;
}
