import { WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { ConfigError } from '../config/env';
import { databaseErrorKind, describeDatabaseRefusal, isDatabaseError } from '../db/database-errors';
import { NoStackError } from '../config/provenance-key';
import { UnknownPrincipalError } from '../db/access/principals';
import { WardenError } from '../domain/errors';

const STATUS: Record<WardenError['kind'], number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** Innermost ApplicationFailure: what a workflow's validator, handler or activity actually said. */
function innermostFailure(error: unknown): ApplicationFailure | undefined {
  let cause: unknown = error;
  let failure: ApplicationFailure | undefined;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure) failure = cause;
    cause = cause.cause;
  }
  return failure;
}

/**
 * A workflow that failed on an activity's input error (activities/input-failures.ts) answers with
 * that error's status; any other refusal from a workflow is a conflict with its state.
 */
function workflowRefusal(error: Error): { status: number; message: string } {
  const failure = innermostFailure(error);
  const kind = failure?.type as WardenError['kind'] | undefined | null;
  const status = kind && kind in STATUS && kind !== 'unavailable' ? STATUS[kind] : 409;
  return { status, message: failure?.message ?? error.message };
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
  if (error instanceof WorkflowUpdateFailedError || error instanceof WorkflowFailedError) return workflowRefusal(error);
  // Database refusals are named by column or constraint, never by the server's own message.
  const db = databaseErrorKind(error);
  if (db === 'unavailable') return { status: 503, message: describeDatabaseRefusal(error) };
  if (db === 'input') return { status: 400, message: describeDatabaseRefusal(error) };
  if (db === 'conflict') return { status: 409, message: describeDatabaseRefusal(error) };
  if (isDatabaseError(error)) return { status: 500, message: describeDatabaseRefusal(error) };
  const message = error instanceof Error ? error.message : String(error);
  if (isUnreachable(error)) {
    return { status: 503, message: `a backing service is unreachable: ${message}` };
  }
  return { status: 500, message };
}
