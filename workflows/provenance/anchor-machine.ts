import {
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  proxyActivities,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { WardenActivities } from '../../activities';
import type { AnchorState } from '../../domain/provenance/checkpoint';
import type { provenanceAnchorWorkflow } from './anchor';
import { ANCHOR_MEMO_KEY, type AnchorInput } from './contract';

const { advanceProvenanceAnchor } = proxyActivities<WardenActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const DEFAULT_INTERVAL_MS = 15_000;
const DEFAULT_MAX_STEPS = 400;

/**
 * The anchor's state (the last signed checkpoint, a violation once seen) and its steps: the
 * anchorNow Update and the state query are methods; `run` is the main line (a step at once, then
 * one per interval or request, continuing as new after enough steps). Commands are issued in the
 * order the workflow issued them before it was a class.
 */
export class AnchorMachine {
  private readonly intervalMs: number;
  private readonly maxSteps: number;
  private readonly state: AnchorState;
  private requested = 0;
  private completed = 0;
  private steps = 0;

  constructor(private readonly input: AnchorInput) {
    this.intervalMs = input.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.maxSteps = input.maxStepsPerRun ?? DEFAULT_MAX_STEPS;
    this.state = { checkpoint: input.checkpoint, violation: input.violation };
  }

  reading(): AnchorState & { steps: number } {
    return { ...this.state, steps: this.steps };
  }

  /** Waits for the step after this request (a step already under way answers the requests made before it). */
  async anchorNow(): Promise<AnchorState> {
    const ticket = ++this.requested;
    await condition(() => this.completed >= ticket);
    return { ...this.state };
  }

  async run(): Promise<never> {
    this.publish();
    // The first step is taken at once: a new anchor (or a new run) checks the chain straight away.
    for (let first = true; ; first = false) {
      if (!first) await condition(() => this.requested > this.completed, this.intervalMs);
      await this.step();
      if (this.steps >= this.maxSteps || workflowInfo().continueAsNewSuggested) {
        // Updates that arrived during the step are answered first (they wait for the next one).
        await condition(() => allHandlersFinished() || this.requested > this.completed);
        if (this.requested > this.completed) continue;
        // The memo goes along, so the next run is readable from its first moment.
        await makeContinueAsNewFunc<typeof provenanceAnchorWorkflow>({ memo: { [ANCHOR_MEMO_KEY]: this.state } })({
          ...this.input,
          ...this.state,
        });
      }
    }
  }

  /** Checks the chain still holds what was anchored and signs a checkpoint of the new head; never moves back. */
  private async step(): Promise<void> {
    const state = this.state;
    const answering = this.requested;
    const step = await advanceProvenanceAnchor({ previous: state.checkpoint });
    if (step.kind === 'advanced' && (state.checkpoint === null || step.checkpoint.seq > state.checkpoint.seq)) {
      state.checkpoint = step.checkpoint;
      this.publish();
    } else if (step.kind === 'violation' && state.violation === null) {
      state.violation = { seq: step.seq, detail: step.detail, detectedAt: new Date().toISOString() };
      this.publish();
    }
    this.completed = answering;
    this.steps += 1;
  }

  private publish(): void {
    upsertMemo({ [ANCHOR_MEMO_KEY]: this.state });
  }
}
