import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { UnknownPrincipalError } from '../../db/principals';
import { WardenError } from '../../domain/errors';

/**
 * Errors a user caused cannot be fixed by retrying: they become non-retryable failures whose
 * message reaches the caller of the update or workflow unchanged. Anything else is retried.
 */
export async function failFastOnUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ZodError) {
      const message = error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
      throw ApplicationFailure.nonRetryable(message, 'invalid');
    }
    if (error instanceof WardenError) throw ApplicationFailure.nonRetryable(error.message, error.kind);
    if (error instanceof UnknownPrincipalError) throw ApplicationFailure.nonRetryable(error.message, 'forbidden');
    throw error;
  }
}
