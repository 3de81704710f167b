import { WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { ConfigError } from '../config/env';
import { NoStackError } from '../config/provenance-key';
import { UnknownPrincipalError } from '../db/principals';
import { WardenError } from '../domain/errors';

const STATUS: Record<WardenError['kind'], number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** Innermost ApplicationFailure message: what a workflow's validator or handler actually said. */
function failureMessage(error: unknown): string | undefined {
  let cause: unknown = error;
  let message: string | undefined;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure) message = cause.message;
    cause = cause.cause;
  }
  return message;
}

/** A database or Temporal that did not answer: nothing listens where the configuration points. */
export function isUnreachable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /ECONNREFUSED|UNAVAILABLE|Failed to connect|connect ETIMEDOUT/i.test(message);
}

/** One description of an error for every surface: HTTP status, CLI exit code and message. */
export function describeError(error: unknown): { status: number; message: string } {
  if (error instanceof WardenError) return { status: STATUS[error.kind], message: error.message };
  if (error instanceof ZodError) {
    return {
      status: 400,
      message: error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '),
    };
  }
  if (error instanceof UnknownPrincipalError) return { status: 403, message: error.message };
  if (error instanceof ConfigError) return { status: 500, message: error.message };
  if (error instanceof NoStackError) return { status: 503, message: error.message };
  if (error instanceof WorkflowNotFoundError) return { status: 404, message: error.message };
  if (error instanceof WorkflowUpdateFailedError) {
    return { status: 409, message: failureMessage(error) ?? error.message };
  }
  if (error instanceof WorkflowFailedError) return { status: 409, message: failureMessage(error) ?? error.message };
  const message = error instanceof Error ? error.message : String(error);
  if (isUnreachable(error)) {
    return { status: 503, message: `a backing service is unreachable: ${message}` };
  }
  return { status: 500, message };
}
