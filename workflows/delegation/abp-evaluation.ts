import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { AbpId, WardenKind, WardenState } from '../../domain/search-attributes';
import type { EvaluationSummary } from './contract';
import { evaluateAndStartReviews } from './evaluation';

/** A write (intake batch, blocked irreversible action) asks for the ABP's triggers to be evaluated. */
export const evaluationRequestedSignal = defineSignal<[{ requestId: string }]>('evaluationRequested');
/** The evaluation that covered a request (null while it is still waiting or unknown to this run). */
export const evaluationOfQuery = defineQuery<EvaluationSummary | null, [string]>('evaluationOf');

export interface AbpEvaluationInput {
  abpId: string;
  /** Results of requests answered by earlier runs, carried over continue-as-new. */
  answered?: [string, EvaluationSummary][];
}

/** Requests whose result a run keeps for the evaluation query. */
const KEPT_RESULTS = 500;
/** Evaluations per run before continuing as new (a signal and an activity each in the history). */
const PASSES_PER_RUN = 200;

/**
 * One per ABP (workflow id `delegation-evaluation-<abp id>`, started by signal-with-start): the
 * requests that arrive while a pass runs are all answered by the next pass, which re-reads the
 * evidence once however many writes arrived. Ends after a minute without requests; the next
 * request starts it again.
 */
export async function delegationAbpEvaluationWorkflow(input: AbpEvaluationInput): Promise<void> {
  upsertSearchAttributes([
    { key: WardenKind, value: 'monitor' },
    { key: WardenState, value: 'evaluating' },
    { key: AbpId, value: input.abpId },
  ]);
  const waiting: string[] = [];
  const answered = new Map(input.answered ?? []);
  setHandler(evaluationRequestedSignal, ({ requestId }) => void waiting.push(requestId));
  setHandler(evaluationOfQuery, (requestId) => answered.get(requestId) ?? null);
  for (let pass = 0; pass < PASSES_PER_RUN && !workflowInfo().continueAsNewSuggested; pass++) {
    // A request arriving with the idle timer is delivered first: it is never dropped by the exit.
    if (!(await condition(() => waiting.length > 0, '1 minute')) && waiting.length === 0) {
      upsertSearchAttributes([{ key: WardenState, value: 'done' }]);
      return;
    }
    const requests = waiting.splice(0);
    const summary = await evaluateAndStartReviews([input.abpId]);
    for (const id of requests) answered.set(id, summary);
    for (const id of [...answered.keys()].slice(0, Math.max(0, answered.size - KEPT_RESULTS))) answered.delete(id);
  }
  await condition(allHandlersFinished);
  // Requests received but not yet evaluated travel as a fresh signal-free start: evaluate once more first.
  if (waiting.length > 0) {
    const requests = waiting.splice(0);
    const summary = await evaluateAndStartReviews([input.abpId]);
    for (const id of requests) answered.set(id, summary);
  }
  await continueAsNew<typeof delegationAbpEvaluationWorkflow>({
    abpId: input.abpId,
    answered: [...answered].slice(-KEPT_RESULTS),
  });
}
