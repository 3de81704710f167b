import { withProvenanceTransaction } from '../../db/provenance/log';
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { extendCooldown, transitionEndorsement, type Transition } from '../../db/endorsement/endorsements';
import { createModelGateway, type ModelGateway } from '../../models/model-gateway';
import { runProbeBattery } from './probes';
import type { Registration } from '../../workflows/endorsement/contract';
import { registerEndorsement, type RegisterInput } from './register';
import { scoreShadowBatch, type BatchResult } from './shadow-scoring';

export type { BatchResult } from './shadow-scoring';
export type { Transition } from '../../db/endorsement/endorsements';

/** What workflows learn from a transition: no rule text, no conversation, just the outcome. */
export interface TransitionResult {
  state: string;
  appliedVersion: number | null;
  deadlineAt: string | null;
  capAt: string | null;
}

export function createEndorsementActivities(
  deps: ActivityDeps,
  models: ModelGateway = createModelGateway(deps.config.models),
) {
  const key = deps.provenanceKey;
  return {
    async registerEndorsement(input: RegisterInput): Promise<Registration> {
      return registerEndorsement(deps.pool, key, models, input);
    },

    async transitionEndorsement(t: Transition): Promise<TransitionResult> {
      const r = await withProvenanceTransaction(deps.pool, (tx) => transitionEndorsement(tx, key, t));
      return { state: r.state, appliedVersion: r.appliedVersion, deadlineAt: r.deadlineAt, capAt: r.capAt };
    },

    async extendEndorsementCooldown(input: {
      endorsementId: string;
      deadlineMs: number;
      capMs: number;
      actor: string | null;
      reason: string;
    }): Promise<TransitionResult> {
      const info = Context.current().info;
      const r = await withProvenanceTransaction(deps.pool, (tx) =>
        extendCooldown(tx, key, {
          ...input,
          idempotencyKey: `${info.workflowExecution?.runId ?? info.taskToken.toString()}/${info.activityId}`,
        }),
      );
      return { state: r.state, appliedVersion: r.appliedVersion, deadlineAt: r.deadlineAt, capAt: r.capAt };
    },

    async runProbeBattery(input: { endorsementId: string }) {
      return runProbeBattery(deps.pool, key, models, input.endorsementId);
    },

    async scoreShadowBatch(input: { endorsementId: string; limit: number }): Promise<BatchResult> {
      const ctx = Context.current();
      // A slow model call must not look like a dead worker: heartbeat on a clock, not per sample.
      const beat = setInterval(() => ctx.heartbeat(), 5_000);
      try {
        return await scoreShadowBatch(deps.pool, key, models, input);
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type EndorsementActivities = ReturnType<typeof createEndorsementActivities>;
