import {
  condition,
  type ActivityOptions,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DelegationActivities } from '../../activities/delegation';
import type { ApplyOutcome } from '../../domain/delegation/apply-outcome';
import { tallyApprovals, winningOutput, type Approval, type OutputTally } from '../../domain/delegation/review-tally';
import { describeIssues } from '../../domain/input/field-issues';
import { failure, failureKind } from '../../domain/temporal/failure-types';
import { innermostFailure, innermostMessage } from '../../domain/temporal/innermost-cause';
import { notify } from '../notify';
import type { ReviewStart, ReviewStatus, ReviewVoteResult, ReviewWorkflowState } from './contract';
import { reviewSearchAttributes } from './review-start-options';
import {
  approveInputIssues,
  dismissInputIssues,
  type ApproveInput,
  type DismissInput,
  type InputIssue,
} from './review-vote-input';
import { announcesConclusionInline } from './review-conclusion-inline';
import { openingPatches } from './review-opening-task';
import { reopensAfterFailedApply } from './review-reopen';
import { approvalInOneLeanTask } from './review-approval-task';
import { decidingVoteApplies } from './review-vote-applies';
import { deadlineRechecksDecision } from './review-deadline-decision';
import { dismissalWaitsForDecidingVote } from './review-dismissal-waits';
import { approvalWaitsForDismissal } from './review-approval-waits';
import { startReviewWorkflows, startsChildReviews } from './start-reviews';

const stepOptions: Pick<ActivityOptions, 'startToCloseTimeout' | 'retry'> = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: ['ReviewVoteRefused', 'ReviewVoteForbidden', 'ReviewOutputInvalid'],
  },
};
const acts = proxyActivities<DelegationActivities>(stepOptions);
// The deciding approval (review-vote-applies.ts) runs inside the workflow task of its Update: no
// activity task to dispatch and no workflow task to take its result, each of which waits in the
// task queue behind every other review's tasks. Both its halves are idempotent, so a local
// activity run again after a lost workflow task records and applies nothing twice.
const inline = proxyLocalActivities<DelegationActivities>(stepOptions);

/** An Update's input checked (review-vote-input.ts), or the refusal naming every field at fault. */
function checkedOrRefused(issuesOf: (input: unknown) => InputIssue[], input: unknown): void {
  const issues = issuesOf(input ?? {});
  if (issues.length > 0) throw failure('invalid', describeIssues(issues).join('; '));
}

/** An activity refusal becomes the Update's failure: its kind and message are what the caller gets. */
function asUpdateFailure(error: unknown): never {
  throw failure(failureKind(innermostFailure(error)?.type) ?? 'conflict', innermostMessage(error));
}

/**
 * One delegation review's state and transitions: the approve and dismiss Updates (with their
 * validators) and the status query are methods; `run` is the main line (wait for a decision or
 * the timeout, apply the winning output, reopen on a failed apply, conclude). Commands are issued
 * in the order the workflow issued them before it was a class: histories in flight replay unchanged.
 */
export class ReviewMachine {
  /**
   * Asked first: the opening's patches (review-opening-task.ts): whether the review knows from its
   * start if review.opened has subscribers, and whether it opens in one task. A history that
   * opens in one task is newer than the reopening and notification patches, so it does not ask them (one
   * marker and one TemporalChangeVersion upsert each); an older one asks, as it always did, whether
   * a failed apply reopens the review (review-reopen.ts).
   */
  private readonly opening = openingPatches();
  private readonly knowsSubscribers = this.opening.knowsSubscribers;
  private readonly inOneTask = this.opening.inOneTask;
  private readonly reopens = this.inOneTask || reopensAfterFailedApply();
  private state: ReviewWorkflowState = 'open';
  private readonly approvals: Approval[] = [];
  private decided: OutputTally | undefined;
  private dismissedBy: string | null = null;
  private outcome: ReviewStatus['outcome'] = null;
  private escalations: ReviewStatus['escalations'] = [];
  /** The last application attempt that failed and reopened the review. */
  private lastFailure: ApplyOutcome | null = null;
  /** A deciding approval is being recorded and applied (recordVoteAndApply): other votes wait for it. */
  private deciding = false;
  /** Dismissals whose votes are being recorded (recordReviewVote): an approval waits for them (review-approval-waits.ts). */
  private dismissing = 0;
  /** What the deciding approval's apply returned, for the main line to conclude with instead of applying. */
  private appliedWithVote: ApplyOutcome | null = null;
  /** The deciding approval ran under review-approval-task.ts's patch: no unchanged or passing state is upserted. */
  private leanApproval = false;
  private rounds = 0;
  /**
   * When the review times out (ms since the epoch; null without a timeout): its timeout after its
   * opening when the start names it (ReviewStart's `openedAt`), else after the workflow's start.
   * Only the input decides, so histories started without `openedAt` replay their own timer.
   */
  private readonly deadlineMs: number | null;
  private readonly deadline: string | null;

  constructor(private readonly start: ReviewStart) {
    const timeout = start.policy.timeout_ms;
    const from = start.openedAt === undefined ? workflowInfo().startTime.getTime() : Date.parse(start.openedAt);
    this.deadlineMs = timeout === null ? null : from + timeout;
    this.deadline = this.deadlineMs === null ? null : new Date(this.deadlineMs).toISOString();
  }

  // ---- handlers ----------------------------------------------------------------------------

  status(): ReviewStatus {
    const {
      start,
      start: { policy },
    } = this;
    return {
      reviewId: start.reviewId,
      abpId: start.abpId,
      triggerId: start.triggerId,
      severity: start.severity,
      state: this.state,
      approverRole: policy.approver_role,
      threshold: policy.threshold,
      timeoutMs: policy.timeout_ms,
      deadline: this.deadline,
      approvals: this.approvals.map(({ principal, outputKind, outputHash }) => ({ principal, outputKind, outputHash })),
      tallies: tallyApprovals(this.approvals, policy.threshold),
      dismissedBy: this.dismissedBy,
      outcome: this.outcome,
      escalations: this.escalations,
      lastFailure: this.lastFailure,
    };
  }

  validateApproval(input: ApproveInput): void {
    this.requireOpen();
    this.requireBeforeDeadline();
    checkedOrRefused(approveInputIssues, input);
    this.requireFirstVote(input.principal);
  }

  async approve(input: ApproveInput): Promise<ReviewVoteResult> {
    if (this.dismissing > 0 && approvalWaitsForDismissal()) {
      // A dismissal being recorded goes first: recorded, it ends the review and this approval is
      // refused before anything is stored; refused, it never counted and this approval does.
      await condition(() => this.dismissing === 0);
      this.requireOpen();
      this.requireFirstVote(input.principal);
    }
    if (this.deciding) {
      // The vote before this one decides the review: this one counts only if that one was refused.
      await this.decidingSettled();
      this.requireOpen();
      this.requireFirstVote(input.principal);
    }
    const deciding = this.decidedWith(input);
    if (deciding && this.decidingVoteApplies()) return this.approveAndApply(input, deciding);
    const accepted = await acts
      .recordReviewVote({
        reviewId: this.start.reviewId,
        principal: input.principal,
        decision: 'approve',
        outputHash: input.outputHash,
        reason: input.reason,
      })
      .catch(asUpdateFailure);
    // A deciding vote that arrived meanwhile applies with the approvals it counted: it goes first.
    if (this.deciding) await this.decidingSettled();
    // Another update may have decided the review while the vote was recorded.
    if (this.approvals.some((a) => a.principal === input.principal))
      throw failure('conflict', `${input.principal} has already voted`);
    this.approvals.push({
      principal: input.principal,
      outputKind: accepted.outputKind ?? input.outputKind,
      outputHash: input.outputHash,
      outputAuthor: accepted.outputAuthor ?? input.principal,
    });
    if (this.state === 'open' && !this.done())
      this.decided = winningOutput(this.approvals, this.start.policy.threshold);
    this.publish();
    return this.voteResult();
  }

  /**
   * The approval that meets the threshold: recorded and applied in one local activity, whose
   * outcome the main line concludes with. An apply that did not finish (null) is left to the main
   * line's `applyReviewOutput`, as before.
   */
  private async approveAndApply(input: ApproveInput, decided: OutputTally): Promise<ReviewVoteResult> {
    this.deciding = true;
    try {
      const { vote, outcome } = await inline
        .recordVoteAndApply({
          vote: {
            reviewId: this.start.reviewId,
            principal: input.principal,
            decision: 'approve',
            outputHash: input.outputHash,
            reason: input.reason,
          },
          apply: {
            reviewId: this.start.reviewId,
            outputHash: decided.outputHash,
            approvers: decided.approvers,
            ...(this.reopens ? { round: this.rounds + 1 } : {}),
          },
        })
        .catch(asUpdateFailure);
      this.approvals.push({
        principal: input.principal,
        outputKind: vote.outputKind ?? input.outputKind,
        outputHash: input.outputHash,
        outputAuthor: vote.outputAuthor ?? input.principal,
      });
      this.appliedWithVote = outcome;
      this.decided = winningOutput(this.approvals, this.start.policy.threshold) ?? decided;
    } finally {
      this.deciding = false;
    }
    // The state is still open: only the details changed (the attributes did not, under the lean patch).
    this.publish({ attributes: !this.leanApproval });
    return this.voteResult();
  }

  /** Whether the deciding approval records and applies in one local activity (review-vote-applies.ts). */
  private decidingVoteApplies(): boolean {
    // A run that opened in one task asks the lean patch first, which implies this one.
    if (this.inOneTask && approvalInOneLeanTask()) return (this.leanApproval = true);
    return decidingVoteApplies();
  }

  /** The output this approval would decide the review for (threshold met with it), if any. */
  private decidedWith(input: ApproveInput): OutputTally | undefined {
    if (this.state !== 'open' || this.done()) return undefined;
    // The output's author is its first approver's (the stored output's author, which only the
    // vote's activity knows, matters only at a threshold of 2 or more, where a first approval never decides).
    const author = this.approvals.find((a) => a.outputHash === input.outputHash)?.outputAuthor ?? input.principal;
    const approval = { ...input, outputAuthor: author };
    return winningOutput([...this.approvals, approval], this.start.policy.threshold);
  }

  validateDismissal(input: DismissInput): void {
    this.requireOpen();
    this.requireBeforeDeadline();
    checkedOrRefused(dismissInputIssues, input);
    this.requireFirstVote(input.principal);
  }

  async dismiss(input: DismissInput): Promise<ReviewVoteResult> {
    if (this.deciding && dismissalWaitsForDecidingVote()) {
      // The deciding approval in flight goes first: applied (or left to the main line to apply), it
      // decided the review and this dismissal is refused before anything is stored; refused, it
      // never counted and this dismissal does.
      await this.decidingSettled();
      this.requireOpen();
      this.requireFirstVote(input.principal);
    }
    this.dismissing += 1;
    try {
      await acts
        .recordReviewVote({
          reviewId: this.start.reviewId,
          principal: input.principal,
          decision: 'dismiss',
          reason: input.reason,
        })
        .catch(asUpdateFailure);
    } finally {
      this.dismissing -= 1;
    }
    // A deciding approval recorded meanwhile may already have applied: it goes first.
    if (this.deciding) await this.decidingSettled();
    if (this.state === 'open' && !this.done()) this.dismissedBy = input.principal;
    return this.voteResult();
  }

  // ---- main line ---------------------------------------------------------------------------

  async run(): Promise<void> {
    const { start } = this;
    const { policy } = start;
    const { inOneTask } = this;
    this.publish({ attributes: !inOneTask });
    if (!(this.knowsSubscribers && start.openedSubscribed === false) && start.openedAnnounced !== true)
      await notify(
        'review.opened',
        start.reviewId,
        { abpId: start.abpId, triggerId: start.triggerId, severity: start.severity, threshold: policy.threshold },
        { inline: inOneTask, afterNotifyPatch: inOneTask },
      );
    // A start without `openedAt` waits its whole timeout, the timer its histories recorded; one
    // with it waits what is left until its deadline (none when the review is already overdue).
    let concludedInTime =
      policy.timeout_ms === null
        ? (await condition(() => this.done()), true)
        : start.openedAt === undefined
          ? await condition(() => this.done(), policy.timeout_ms)
          : await this.concludesInTime();
    while (await this.conclude(concludedInTime)) concludedInTime = await this.concludesInTime();
    this.publish();
    const facts = { abpId: start.abpId, triggerId: start.triggerId, severity: start.severity, state: this.state };
    await notify(this.state === 'timed_out' ? 'review.timed_out' : 'review.concluded', start.reviewId, facts, {
      inline: this.leanApproval || announcesConclusionInline(),
      afterNotifyPatch: this.inOneTask,
    });
  }

  /** Acts on how the wait ended; true when a failed apply reopened the review and the wait starts again. */
  private async conclude(concludedInTime: boolean): Promise<boolean> {
    const reviewId = this.start.reviewId;
    if (!concludedInTime && deadlineRechecksDecision()) {
      // The deadline passed: a deciding approval being applied settles first, and what the votes
      // decided stands (review-deadline-decision.ts says why this is not asked of `deciding` alone).
      if (this.deciding) await this.decidingSettled();
      concludedInTime = this.done();
    } else if (!concludedInTime && this.deciding) {
      await this.decidingSettled();
      concludedInTime = this.done();
    }
    if (!concludedInTime) {
      this.state = 'timed_out';
      this.escalations = (await acts.concludeReview({ reviewId, state: 'timed_out', by: null })).escalations;
    } else if (this.dismissedBy !== null) {
      this.state = 'dismissed';
      await acts.concludeReview({ reviewId, state: 'dismissed', by: this.dismissedBy });
    } else if (this.decided) {
      this.state = 'applying';
      // Under the lean patch an outcome the deciding approval already applied is not upserted as
      // applying: the next upsert, in this same task unless child reviews start first, is its own.
      this.publish({ attributes: !(this.leanApproval && this.appliedWithVote) });
      this.rounds += 1;
      // Applied by the deciding approval (review-vote-applies.ts), or applied here.
      const attempt =
        this.appliedWithVote ??
        (await acts.applyReviewOutput({
          reviewId,
          outputHash: this.decided.outputHash,
          approvers: this.decided.approvers,
          ...(this.reopens ? { round: this.rounds } : {}),
        }));
      this.appliedWithVote = null;
      if (attempt.reopened) {
        this.reopen(attempt);
        return true;
      }
      this.outcome = attempt;
      this.state = attempt.state;
      // The ABP was revoked or replaced: the reviews it opened on its children start now, not at
      // the monitor's next pass. (Histories from before this have no such reviews.)
      if (attempt.childReviews?.length && startsChildReviews()) {
        await startReviewWorkflows(
          attempt.childReviews,
          (id) => acts.markReviewStarted({ reviewId: id }),
          (reviewIds) => acts.markReviewsStarted({ reviewIds }),
        );
      }
    }
    return false;
  }

  /**
   * Back to open: the approvals of the output that failed no longer count, and the approvers may
   * vote again (for a corrected output) until the review's own deadline.
   */
  private reopen(attempt: ApplyOutcome): void {
    this.lastFailure = attempt;
    const failed = attempt.outputHash;
    this.approvals.splice(0, this.approvals.length, ...this.approvals.filter((a) => a.outputHash !== failed));
    this.decided = winningOutput(this.approvals, this.start.policy.threshold);
    this.state = 'open';
    this.publish();
  }

  /** Until the review's own deadline (after a reopening: the rest of its timeout, not a fresh one). */
  private async concludesInTime(): Promise<boolean> {
    if (this.deadlineMs === null) return (await condition(() => this.done()), true);
    const left = this.deadlineMs - Date.now();
    return left > 0 ? condition(() => this.done(), left) : this.done();
  }

  // ---- state -------------------------------------------------------------------------------

  /**
   * Once the deciding approval in flight has been recorded and applied (or refused). Callers ask
   * only while one is in flight (`if (this.deciding)`), so that histories from before
   * DECIDING_VOTE_APPLIES, which never had one, resume their handlers without an added await.
   */
  private decidingSettled(): Promise<void> {
    return condition(() => !this.deciding);
  }

  /** Decided by an approval that met the threshold, or dismissed: no further vote changes the outcome. */
  private done(): boolean {
    return this.decided !== undefined || this.dismissedBy !== null;
  }

  private voteResult(): ReviewVoteResult {
    return {
      accepted: true,
      state: this.state,
      approvals: this.approvals.length,
      threshold: this.start.policy.threshold,
      decided: this.done(),
    };
  }

  private requireOpen(): void {
    if (this.state !== 'open' || this.done())
      throw failure('conflict', `review ${this.start.reviewId} is no longer open (${this.state})`);
  }

  /**
   * A review started after its opening (`openedAt`) may be started by a vote that arrives after its
   * deadline, while its main line is still on its way to time it out: that vote is refused. Without
   * `openedAt` the timer fires at the deadline itself, as it always did, so nothing is asked.
   */
  private requireBeforeDeadline(): void {
    if (this.start.openedAt !== undefined && this.deadlineMs !== null && Date.now() >= this.deadlineMs)
      throw failure('conflict', `review ${this.start.reviewId} passed its deadline (${this.deadline})`);
  }

  private requireFirstVote(principal: string): void {
    if (this.approvals.some((a) => a.principal === principal))
      throw failure('conflict', `${principal} has already voted on ${this.start.reviewId}`);
  }

  /** The search attributes (unless the start gave them already: `attributes: false`) and the details of the state. */
  private publish({ attributes = true } = {}): void {
    const {
      start,
      start: { policy },
      outcome,
      deadline,
    } = this;
    if (attributes) upsertSearchAttributes(reviewSearchAttributes(start, this.state));
    const votes = `${this.approvals.length}/${policy.threshold} approval(s) by ${policy.approver_role}`;
    setCurrentDetails(
      `**${this.state}** — review of ${start.abpId} for ${start.triggerId} (${start.triggerName}, ${start.severity}); ${votes}` +
        (deadline ? `; times out ${deadline}` : '; no timeout') +
        (outcome
          ? `; outcome ${outcome.state}${outcome.next ? ` → ${outcome.next.abpId} ${outcome.next.abpHash}` : ''}`
          : ''),
    );
  }
}
