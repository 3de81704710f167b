import { WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ZodError } from 'zod';
import { ConfigError } from '../config/env';
import { databaseErrorKind, describeDatabaseRefusal, isDatabaseError } from '../db/database-errors';
import { NoStackError } from '../config/provenance-key';
import { WardenError } from '../domain/errors';
import { describeZodError } from '../domain/input/field-issues';
import { wardenErrorOf } from '../domain/temporal/failure-types';
import { innermostFailure } from '../domain/temporal/innermost-cause';

const STATUS: Record<WardenError['kind'], number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/**
 * What a workflow refused (an Update's validator or handler, or the workflow failing on an
 * activity's refusal), as the WardenError of its failure's kind (domain/temporal/failure-types.ts,
 * earlier releases' type names included). Any other refusal from a workflow, and one saying a
 * service was unavailable (the workflow itself answered), is a conflict with its state.
 */
export function workflowRefusal(error: WorkflowUpdateFailedError | WorkflowFailedError): WardenError {
  const failure = innermostFailure(error);
  if (!failure) return new WardenError('conflict', error.message);
  const refusal = wardenErrorOf(failure);
  return refusal.kind === 'unavailable' ? new WardenError('conflict', refusal.message, refusal.details) : refusal;
}

/**
 * A database or Temporal that did not answer: nothing listens where the configuration points.
 * The worker's NativeConnection says so in its transport's words ("tcp connect error").
 */
export function isUnreachable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /ECONNREFUSED|UNAVAILABLE|Failed to connect|connect ETIMEDOUT|tcp connect error/i.test(message);
}

/** One description of an error for every surface: HTTP status, CLI exit code and message. */
export function describeError(error: unknown): { status: number; message: string } {
  if (error instanceof WardenError) return { status: STATUS[error.kind], message: error.message };
  if (error instanceof ZodError) return { status: 400, message: describeZodError(error) };
  if (error instanceof ConfigError) return { status: 500, message: error.message };
  if (error instanceof NoStackError) return { status: 503, message: error.message };
  if (error instanceof WorkflowNotFoundError) return { status: 404, message: error.message };
  if (error instanceof WorkflowUpdateFailedError || error instanceof WorkflowFailedError)
    return describeError(workflowRefusal(error));
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
