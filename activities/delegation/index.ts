import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { announceReviewsOpened } from './announce-opened';
import { postgresExportSink } from '../../db/delegation/export-documents';
import { fileExportSink } from '../../export-files/file-sink';
import { applyReviewOutput, type ApplyDeps, type ApplyInput } from './apply-output';
import { evaluateDelegationTriggers } from './evaluation';
import { markWorkflowStarted } from '../../db/delegation/reviews';
import { concludeReview, recordReviewVote, recordVote, type VoteInput } from './review-votes';
import { voteAndApply, type VoteAndApplyInput } from './vote-and-apply';

/** What the review activities work on: the pool, the provenance key and the export sink WARDEN_EXPORT_SINK names. */
export function reviewDeps(deps: ActivityDeps): ApplyDeps {
  // The sink as client/export-sink.ts chooses it (activities never import client/).
  const exports =
    deps.config.exportSink === 'file' ? fileExportSink(deps.config.exportDir) : postgresExportSink(deps.pool);
  return { pool: deps.pool, provenanceKey: deps.provenanceKey, exports };
}

/** The delegation review loop's activities: every one idempotent under retries. */
export function createDelegationActivities(deps: ActivityDeps) {
  const d = reviewDeps(deps);
  // Inside an activity (its client starts the deliveries): reviews a revocation stores on children.
  const announcing = { ...d, announce: announceReviewsOpened };
  return {
    /** `asOf`/`horizonMs`: the pass's clock (MONITOR_PASSES_ITS_CLOCK); passes recorded before it send neither. */
    async evaluateDelegationTriggers(input: { abpIds?: string[]; asOf?: string; horizonMs?: number }) {
      const clock =
        input.asOf !== undefined && input.horizonMs !== undefined
          ? { asOf: input.asOf, horizonMs: input.horizonMs }
          : undefined;
      const result = await evaluateDelegationTriggers(d, input.abpIds, {
        clock,
        announce: announceReviewsOpened,
        retried: Context.current().info.attempt > 1,
      });
      // Cards go back without their raw readings' detail: counts and states are what the workflow needs.
      return {
        opened: result.opened,
        queued: result.queued,
        toStart: result.toStart,
        tripped: result.cards.filter((c) => c.state === 'tripped').map((c) => `${c.abpId}/${c.triggerId}`),
        periodic: result.periodic,
        underReview: result.underReview,
      };
    },
    /** One review at a time: what histories from before MARKS_STARTED_TOGETHER call. */
    async markReviewStarted(input: { reviewId: string }): Promise<void> {
      await markWorkflowStarted(deps.pool, [input.reviewId]);
    },
    /** Every review whose workflow a workflow task just started, in one statement. */
    async markReviewsStarted(input: { reviewIds: string[] }): Promise<void> {
      await markWorkflowStarted(deps.pool, input.reviewIds);
    },
    recordReviewVote: (input: VoteInput) => recordReviewVote(d, input),
    concludeReview: (input: { reviewId: string; state: 'dismissed' | 'timed_out'; by: string | null }) =>
      concludeReview(d, input),
    applyReviewOutput: (input: ApplyInput) => applyReviewOutput(announcing, input),
    /** The deciding approval: recorded, then applied from the same reading (the review runs it as a local activity). */
    recordVoteAndApply: (input: VoteAndApplyInput) =>
      voteAndApply(
        (vote) => recordVote(d, vote),
        (apply, reading) => applyReviewOutput(announcing, apply, reading),
        input,
      ),
  };
}

export type DelegationActivities = ReturnType<typeof createDelegationActivities>;
