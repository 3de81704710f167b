import {
  ApplicationFailure, allHandlersFinished, condition, proxyActivities, setCurrentDetails, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { innermostCause, innermostMessage } from '../activity-failure';
import type { DelegationActivities } from '../../activities/delegation';
import type { ReviewStart } from '../../domain/delegation/review-start';
import { tallyApprovals, winningOutput, type Approval, type OutputTally } from '../../domain/delegation/review-tally';
import {
  approveReviewUpdate, dismissReviewUpdate, reviewStatusQuery, type ReviewStatus, type ReviewVoteResult, type ReviewWorkflowState,
} from './review-messages';
import type { ApplyOutcome } from '../../activities/delegation/apply-output';
import { notify } from '../notify';
import { reopensAfterFailedApply } from './review-reopen';
import { startReviewWorkflows, startsChildReviews } from './start-reviews';
import { reviewSearchAttributes } from './review-start';

const acts = proxyActivities<DelegationActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['ReviewVoteRefused', 'ReviewVoteForbidden', 'ReviewOutputInvalid'],
  },
});

const OUTPUT_KINDS = ['abp_patch', 'abp_replace', 'abp_revoke'];
const HASH = /^sha256:[a-f0-9]{64}$/;

/** An activity refusal becomes the Update's failure (its message is what the caller sees). */
function asUpdateFailure(error: unknown): never {
  const cause = innermostCause(error);
  const type = cause instanceof ApplicationFailure && cause.type ? cause.type : 'ReviewVoteRefused';
  throw ApplicationFailure.nonRetryable(innermostMessage(error), type);
}

/**
 * One delegation review: opened by a tripped trigger (or a person), it collects approvals and a
 * dismissal as Updates, applies the winning output, or times out after the policy's timeout_ms
 * (none when null) and fires the ABP's escalation paths. Workflow id = review id.
 */
export async function delegationReviewWorkflow(start: ReviewStart): Promise<ReviewStatus> {
  const reopens = reopensAfterFailedApply();
  const { policy } = start;
  let state: ReviewWorkflowState = 'open';
  const approvals: Approval[] = [];
  let decided: OutputTally | undefined;
  let dismissedBy: string | null = null;
  let outcome: ReviewStatus['outcome'] = null;
  let escalations: ReviewStatus['escalations'] = [];
  /** The last application attempt that failed and reopened the review. */
  let lastFailure: ApplyOutcome | null = null;
  let rounds = 0;
  const startedAt = workflowInfo().startTime.getTime();
  const deadline = policy.timeout_ms === null ? null : new Date(startedAt + policy.timeout_ms).toISOString();
  /** Decided by an approval that met the threshold, or dismissed: no further vote changes the outcome. */
  const done = () => decided !== undefined || dismissedBy !== null;

  const publish = () => {
    upsertSearchAttributes(reviewSearchAttributes(start, state));
    const votes = `${approvals.length}/${policy.threshold} approval(s) by ${policy.approver_role}`;
    setCurrentDetails(
      `**${state}** — review of ${start.abpId} for ${start.triggerId} (${start.triggerName}, ${start.severity}); ${votes}` +
        (deadline ? `; times out ${deadline}` : '; no timeout') +
        (outcome ? `; outcome ${outcome.state}${outcome.next ? ` → ${outcome.next.abpId} ${outcome.next.abpHash}` : ''}` : ''),
    );
  };
  const status = (): ReviewStatus => ({
    reviewId: start.reviewId,
    abpId: start.abpId,
    triggerId: start.triggerId,
    severity: start.severity,
    state,
    approverRole: policy.approver_role,
    threshold: policy.threshold,
    timeoutMs: policy.timeout_ms,
    deadline,
    approvals: approvals.map(({ principal, outputKind, outputHash }) => ({ principal, outputKind, outputHash })),
    tallies: tallyApprovals(approvals, policy.threshold),
    dismissedBy,
    outcome,
    escalations,
    lastFailure,
  });
  const voteResult = (): ReviewVoteResult => ({
    accepted: true,
    state,
    approvals: approvals.length,
    threshold: policy.threshold,
    decided: done(),
  });
  const requireOpen = () => {
    if (state !== 'open' || done()) throw new Error(`review ${start.reviewId} is no longer open (${state})`);
  };
  const requireFirstVote = (principal: string) => {
    if (approvals.some((a) => a.principal === principal)) throw new Error(`${principal} has already voted on ${start.reviewId}`);
  };

  setHandler(reviewStatusQuery, status);
  setHandler(
    approveReviewUpdate,
    async (input) => {
      const accepted = await acts.recordReviewVote({
        reviewId: start.reviewId, principal: input.principal, decision: 'approve', outputHash: input.outputHash, reason: input.reason,
      }).catch(asUpdateFailure);
      // Another update may have decided the review while the vote was recorded.
      if (approvals.some((a) => a.principal === input.principal)) throw ApplicationFailure.nonRetryable(`${input.principal} has already voted`);
      approvals.push({
        principal: input.principal,
        outputKind: accepted.outputKind ?? input.outputKind,
        outputHash: input.outputHash,
        outputAuthor: accepted.outputAuthor ?? input.principal,
      });
      if (state === 'open' && !done()) decided = winningOutput(approvals, policy.threshold);
      publish();
      return voteResult();
    },
    {
      validator: (input) => {
        requireOpen();
        if (!input || typeof input.principal !== 'string' || input.principal === '') throw new Error('principal: required');
        if (!OUTPUT_KINDS.includes(input.outputKind)) throw new Error(`outputKind: one of ${OUTPUT_KINDS.join(', ')}`);
        if (typeof input.outputHash !== 'string' || !HASH.test(input.outputHash)) throw new Error('outputHash: must look like sha256:<64 hex>');
        if (typeof input.reason !== 'string' || input.reason.trim() === '') throw new Error('reason: required');
        requireFirstVote(input.principal);
      },
    },
  );
  setHandler(
    dismissReviewUpdate,
    async (input) => {
      await acts.recordReviewVote({ reviewId: start.reviewId, principal: input.principal, decision: 'dismiss', reason: input.reason }).catch(asUpdateFailure);
      if (state === 'open' && !done()) dismissedBy = input.principal;
      return voteResult();
    },
    {
      validator: (input) => {
        requireOpen();
        if (!input || typeof input.principal !== 'string' || input.principal === '') throw new Error('principal: required');
        if (typeof input.reason !== 'string' || input.reason.trim() === '') throw new Error('reason: required');
        requireFirstVote(input.principal);
      },
    },
  );

  publish();
  await notify('review.opened', start.reviewId, { abpId: start.abpId, triggerId: start.triggerId, severity: start.severity, threshold: policy.threshold });
  /** After a reopening: the rest of the review's own timeout, not a fresh one. */
  const concludes = async (): Promise<boolean> => {
    if (policy.timeout_ms === null) return (await condition(done), true);
    const left = startedAt + policy.timeout_ms - Date.now();
    return left > 0 ? condition(done, left) : done();
  };
  let concludedInTime = policy.timeout_ms === null ? (await condition(done), true) : await condition(done, policy.timeout_ms);

  for (;;) {
    if (!concludedInTime) {
      state = 'timed_out';
      escalations = (await acts.concludeReview({ reviewId: start.reviewId, state: 'timed_out', by: null })).escalations;
    } else if (dismissedBy !== null) {
      state = 'dismissed';
      await acts.concludeReview({ reviewId: start.reviewId, state: 'dismissed', by: dismissedBy });
    } else if (decided) {
      state = 'applying';
      publish();
      rounds += 1;
      const attempt = await acts.applyReviewOutput({
        reviewId: start.reviewId, outputHash: decided.outputHash, approvers: decided.approvers, ...(reopens ? { round: rounds } : {}),
      });
      if (attempt.reopened) {
        // Back to open: the approvals of the output that failed no longer count, and the
        // approvers may vote again (for a corrected output) until the review's own deadline.
        lastFailure = attempt;
        const failed = attempt.outputHash;
        approvals.splice(0, approvals.length, ...approvals.filter((a) => a.outputHash !== failed));
        decided = winningOutput(approvals, policy.threshold);
        state = 'open';
        publish();
        concludedInTime = await concludes();
        continue;
      }
      outcome = attempt;
      state = attempt.state;
      // The ABP was revoked or replaced: the reviews it opened on its children start now, not at
      // the monitor's next pass. (Histories from before this have no such reviews.)
      if (attempt.childReviews?.length && startsChildReviews()) {
        await startReviewWorkflows(attempt.childReviews, (reviewId) => acts.markReviewStarted({ reviewId }));
      }
    }
    break;
  }
  publish();
  const facts = { abpId: start.abpId, triggerId: start.triggerId, severity: start.severity, state };
  await notify(state === 'timed_out' ? 'review.timed_out' : 'review.concluded', start.reviewId, facts);
  await condition(allHandlersFinished);
  return status();
}
