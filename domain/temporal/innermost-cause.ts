import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  NexusOperationFailure,
  TemporalFailure,
} from '@temporalio/common';

/**
 * The error that says what went wrong, under the wrappers that only say where: an activity, a child
 * workflow or a Nexus operation failed (inside a workflow), or a workflow or an Update failed (in a
 * client, WorkflowFailedError and WorkflowUpdateFailedError). Temporal's own failures below those
 * (an ApplicationFailure, a timeout, a cancellation) are where the search stops.
 */
export function innermostCause(error: unknown): unknown {
  let cause = error;
  while (cause instanceof Error && cause.cause !== undefined && isWrapper(cause)) cause = cause.cause;
  return cause;
}

function isWrapper(error: Error): boolean {
  if (!(error instanceof TemporalFailure)) return true;
  return (
    error instanceof ActivityFailure || error instanceof ChildWorkflowFailure || error instanceof NexusOperationFailure
  );
}

/** The message of the innermost cause: what a caller or an operator needs to read. */
export function innermostMessage(error: unknown): string {
  const cause = innermostCause(error);
  return cause instanceof Error ? cause.message : String(cause);
}

/** The innermost cause when it is an ApplicationFailure: what a validator, handler or activity said. */
export function innermostFailure(error: unknown): ApplicationFailure | undefined {
  const cause = innermostCause(error);
  return cause instanceof ApplicationFailure ? cause : undefined;
}
