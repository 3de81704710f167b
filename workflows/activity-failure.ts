import { ActivityFailure } from '@temporalio/workflow';

/**
 * The error under an activity failure's wrapper(s): it carries the message and type a caller
 * needs (a refusal, a validation error), where the wrapper only says that the activity failed.
 */
export function innermostCause(error: unknown): unknown {
  let cause: unknown = error;
  while (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  return cause;
}

export function innermostMessage(error: unknown): string {
  const cause = innermostCause(error);
  return cause instanceof Error ? cause.message : String(cause);
}
