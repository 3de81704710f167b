import { randomUUID } from 'node:crypto';
import { AbpId, WardenKind } from '../domain/search-attributes';
import type { EvaluationSummary } from '../workflows/delegation/contract';
import type { WardenContext } from './context';

/** The per-ABP evaluation workflow's id (workflows/delegation/abp-evaluation.ts). */
export const abpEvaluationWorkflowId = (abpId: string) => `delegation-evaluation-${abpId}`;

/**
 * The least time between two evaluation signals for one ABP from one process. Every signal costs a
 * signal-with-start, two workflow tasks, an activity and an evaluation pass: about 25 ms of the
 * worker's CPU, 35 of Temporal's and 20-60 of the database's (bench/tools/intake-cost.ts). Under a
 * stream of writes one pass per interval answers them all, so the passes cost CPU per second, not
 * per write: at 150 ms the worker and Temporal took 1.7 of the 4.3 ms a one-row write cost in all
 * on PostgreSQL, at 500 ms 0.4 of 2.6. The interval adds at most this much to the 2 s from a write
 * to its review opening, and only for a write that follows another within it.
 */
export const EVALUATION_INTERVAL_MS = 500;

/**
 * The evaluation a write asked for: per ABP it touched, the request id under which that ABP's
 * evaluation workflow answers (`evaluationResult`).
 */
export type EvaluationRequest = Record<string, string>;

interface Outgoing {
  requestId: string;
  /** Set when the signal starts going out: a write after that needs a signal of its own. */
  sent: boolean;
  /** When it started going out (performance.now()): the next one waits for the interval from here. */
  sentAt: number;
  /** Settles (never rejects) once this signal has been answered or failed and the interval since it went out has passed. */
  spaced: Promise<void>;
}

export interface EvaluationRequestsOptions {
  /** The least time between two signals for one ABP (EVALUATION_INTERVAL_MS by default; 0: one in flight at a time). */
  intervalMs?: number;
  /** Waits `ms` before the next signal (setTimeout by default; tests hold it to see what joins). */
  wait?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Asks the per-ABP evaluation workflows to evaluate after a write, without the writer waiting.
 * Per ABP, the first write after a quiet interval is signalled at once; writes that arrive while a
 * signal is in flight or within the interval after it join the next signal, which goes out when
 * the interval has passed. So a stream of writes costs one signal-with-start and one evaluation
 * pass per ABP per interval, not one per write. Nothing is dropped: a write's signal is sent only
 * after the write committed and is never merged into one already sent, so the pass it triggers
 * re-reads evidence that includes it (the workflow runs another pass for a signal that arrives
 * during one). A process that dies before sending loses only the signal, never the write: any
 * later evaluation of the ABP (the next write's, the monitor Schedule's) re-reads all its evidence.
 */
export class EvaluationRequests {
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly intervalMs: number;
  private readonly wait: (ms: number) => Promise<void>;

  constructor(
    private readonly ctx: WardenContext,
    opts: EvaluationRequestsOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? EVALUATION_INTERVAL_MS;
    this.wait = opts.wait ?? sleep;
  }

  request(abpIds: string[]): EvaluationRequest {
    return Object.fromEntries([...new Set(abpIds)].map((abpId) => [abpId, this.join(abpId)]));
  }

  /** The request id of the signal this write rides on: one not yet sent, else a new one. */
  private join(abpId: string): string {
    const previous = this.outgoing.get(abpId);
    if (previous && !previous.sent) return previous.requestId;
    const entry: Outgoing = { requestId: randomUUID(), sent: false, sentAt: 0, spaced: Promise.resolve() };
    // After the previous signal (if any) and its interval, whether it reached Temporal or not.
    const signalled = (previous?.spaced ?? Promise.resolve()).then(() => this.send(abpId, entry));
    // close() waits for the signal (not for the interval after it): a CLI's write is signalled before it exits.
    this.ctx.deferred.add(signalled);
    entry.spaced = signalled
      .catch(() => undefined)
      .then(async () => {
        const left = this.intervalMs - (performance.now() - entry.sentAt);
        if (left > 0) await this.wait(left);
        if (this.outgoing.get(abpId) === entry) this.outgoing.delete(abpId);
      });
    this.outgoing.set(abpId, entry);
    return entry.requestId;
  }

  private async send(abpId: string, entry: Outgoing): Promise<void> {
    entry.sent = true;
    entry.sentAt = performance.now();
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
