import type { WardenContext } from '../client/context';

/**
 * Counts the evaluation signals (signal-with-start of a per-ABP evaluation workflow) the API sends
 * through `w`'s Temporal client: the evaluations the writes asked for.
 */
export function countEvaluationSignals(w: WardenContext): () => number {
  const workflow = w.temporal.workflow;
  const signalWithStart = workflow.signalWithStart.bind(workflow);
  let sent = 0;
  workflow.signalWithStart = ((type: unknown, opts: unknown) => {
    if (type === 'delegationAbpEvaluationWorkflow') sent++;
    return signalWithStart(type as never, opts as never);
  }) as typeof workflow.signalWithStart;
  return () => sent;
}
