import { allHandlersFinished, condition, makeContinueAsNewFunc, proxyActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { WardenActivities } from '../../activities';
import type { AnchorState } from '../../domain/provenance/checkpoint';
import { ANCHOR_MEMO_KEY, anchorNowUpdate, anchorStateQuery, type AnchorInput } from './anchor-messages';

const { advanceProvenanceAnchor } = proxyActivities<WardenActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const DEFAULT_INTERVAL_MS = 15_000;
const DEFAULT_MAX_STEPS = 400;

/**
 * The provenance head anchor: one long-lived workflow per chain (id from the provenance key).
 * Every interval, or when asked through the anchorNow update, it has an activity check that the
 * chain still holds the entry it anchored last and sign a checkpoint of the new head; the
 * checkpoint lives in this workflow's history and memo, out of reach of whoever can write the
 * database. It never moves back: a chain that lost or changed anchored entries is recorded as a
 * violation and the last checkpoint stays, for `provenance verify` to compare against.
 */
export async function provenanceAnchorWorkflow(input: AnchorInput): Promise<void> {
  const intervalMs = input.intervalMs ?? DEFAULT_INTERVAL_MS;
  const maxSteps = input.maxStepsPerRun ?? DEFAULT_MAX_STEPS;
  const state: AnchorState = { checkpoint: input.checkpoint, violation: input.violation };
  let requested = 0;
  let completed = 0;
  let steps = 0;

  const publish = () => upsertMemo({ [ANCHOR_MEMO_KEY]: state });
  setHandler(anchorStateQuery, () => ({ ...state, steps }));
  setHandler(anchorNowUpdate, async () => {
    const ticket = ++requested;
    await condition(() => completed >= ticket);
    return { ...state };
  });

  publish();
  // The first step is taken at once: a new anchor (or a new run) checks the chain straight away.
  for (let first = true; ; first = false) {
    if (!first) await condition(() => requested > completed, intervalMs);
    const answering = requested;
    const step = await advanceProvenanceAnchor({ previous: state.checkpoint });
    if (step.kind === 'advanced' && (state.checkpoint === null || step.checkpoint.seq > state.checkpoint.seq)) {
      state.checkpoint = step.checkpoint;
      publish();
    } else if (step.kind === 'violation' && state.violation === null) {
      state.violation = { seq: step.seq, detail: step.detail, detectedAt: new Date().toISOString() };
      publish();
    }
    completed = answering;
    steps += 1;
    if (steps >= maxSteps || workflowInfo().continueAsNewSuggested) {
      // Updates that arrived during the step are answered first (they wait for the next one).
      await condition(() => allHandlersFinished() || requested > completed);
      if (requested > completed) continue;
      // The memo goes along, so the next run is readable from its first moment.
      await makeContinueAsNewFunc<typeof provenanceAnchorWorkflow>({ memo: { [ANCHOR_MEMO_KEY]: state } })({ ...input, ...state });
    }
  }
}
