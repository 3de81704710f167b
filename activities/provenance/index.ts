import { Context } from '@temporalio/activity';
import { appendProvenance, type ProvenanceInput } from '../../db/provenance/log';
import type { HeadCheckpoint } from '../../domain/provenance/checkpoint';
import type { ActivityDeps } from '../deps';
import { advanceAnchor, type AnchorStep } from './anchor-step';

export function createProvenanceActivities(deps: ActivityDeps) {
  return {
    /**
     * For workflows that record a step with no state change of its own (e.g. an expiry). The
     * idempotency key defaults to the workflow run and activity id, so a retry adds no second entry.
     */
    async recordProvenance(input: ProvenanceInput): Promise<{ seq: number; contentHash: string }> {
      const info = Context.current().info;
      const entry = await appendProvenance(deps.pool, deps.provenanceKey, {
        ...input,
        idempotencyKey:
          input.idempotencyKey ??
          `${info.workflowExecution?.runId ?? info.workflowType ?? 'activity'}/${info.activityId}`,
      });
      return { seq: entry.seq, contentHash: entry.contentHash };
    },
    /** The head anchor's step (workflows/provenance/anchor.ts): read-only, so a retry is harmless. */
    async advanceProvenanceAnchor(input: { previous: HeadCheckpoint | null }): Promise<AnchorStep> {
      return advanceAnchor(deps.pool, deps.provenanceKey, input.previous, new Date());
    },
  };
}
