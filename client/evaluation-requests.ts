import { randomUUID } from 'node:crypto';
import { AbpId, WardenKind } from '../domain/search-attributes';
import type { EvaluationSummary } from '../workflows/delegation/contract';
import type { WardenContext } from './context';

/** The per-ABP evaluation workflow's id (workflows/delegation/abp-evaluation.ts). */
export const abpEvaluationWorkflowId = (abpId: string) => `delegation-evaluation-${abpId}`;

/**
 * The evaluation a write asked for: per ABP it touched, the request id under which that ABP's
 * evaluation workflow answers (`evaluationResult`).
 */
export type EvaluationRequest = Record<string, string>;

interface Outgoing {
  requestId: string;
  sent: boolean;
  sending: Promise<void>;
}

/**
 * Asks the per-ABP evaluation workflows to evaluate after a write, without the writer waiting.
 * Writes that arrive before a signal for their ABP has gone out join it (its evaluation re-reads
 * evidence committed before it was sent, theirs included), so a burst of writes costs one
 * signal-with-start per ABP in flight, not one per write.
 */
export class EvaluationRequests {
  private readonly outgoing = new Map<string, Outgoing>();

  constructor(private readonly ctx: WardenContext) {}

  request(abpIds: string[]): EvaluationRequest {
    return Object.fromEntries([...new Set(abpIds)].map((abpId) => [abpId, this.join(abpId)]));
  }

  /** The request id of the signal this write rides on: one not yet sent, else a new one. */
  private join(abpId: string): string {
    const pending = this.outgoing.get(abpId);
    if (pending && !pending.sent) return pending.requestId;
    const entry: Outgoing = { requestId: randomUUID(), sent: false, sending: Promise.resolve() };
    // After the one in flight (if any), whether it reached Temporal or not: one signal per ABP at a time.
    entry.sending = (pending?.sending ?? Promise.resolve()).catch(() => undefined).then(() => this.send(abpId, entry));
    this.outgoing.set(abpId, entry);
    this.ctx.deferred.add(entry.sending);
    return entry.requestId;
  }

  private async send(abpId: string, entry: Outgoing): Promise<void> {
    entry.sent = true;
    try {
      await this.ctx.temporal.workflow.signalWithStart('delegationAbpEvaluationWorkflow', {
        workflowId: abpEvaluationWorkflowId(abpId),
        taskQueue: this.ctx.taskQueue,
        args: [{ abpId }],
        signal: 'evaluationRequested',
        signalArgs: [{ requestId: entry.requestId }],
        typedSearchAttributes: [
          { key: WardenKind, value: 'monitor' },
          { key: AbpId, value: abpId },
        ],
        staticSummary: `Delegation trigger evaluation for ${abpId} after each write`,
      });
    } finally {
      if (this.outgoing.get(abpId) === entry) this.outgoing.delete(abpId);
    }
  }
}

const requesters = new WeakMap<WardenContext, EvaluationRequests>();

/** Asks for the evaluation of `abpIds` after a write; the answer names the requests to look up. */
export function requestEvaluation(ctx: WardenContext, abpIds: string[]): EvaluationRequest {
  let requests = requesters.get(ctx);
  if (!requests) requesters.set(ctx, (requests = new EvaluationRequests(ctx)));
  return requests.request(abpIds);
}

/** The evaluation that covered request `requestId` for `abpId`; null while it has not run yet. */
export async function evaluationResult(
  ctx: WardenContext,
  abpId: string,
  requestId: string,
): Promise<EvaluationSummary | null> {
  const handle = ctx.temporal.workflow.getHandle(abpEvaluationWorkflowId(abpId));
  try {
    return await handle.query<EvaluationSummary | null, [string]>('evaluationOf', requestId);
  } catch (error) {
    const { WorkflowNotFoundError } = await import('@temporalio/client');
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}
