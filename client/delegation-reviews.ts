import { WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { planOutputOn, type OutputPlan } from '../db/delegation/output-dry-run';
import { readApproval, type ApprovalReading } from '../db/delegation/approval-reading';
import { findReview, listReviews, type ReviewRow, type ReviewState } from '../db/delegation/reviews';
import { storeOutput } from '../db/delegation/review-outputs';
import { listVotes, type VoteRow } from '../db/delegation/review-votes';
import { requirePrincipal, UnknownPrincipalError } from '../db/access/principals';
import {
  parseReviewOutput,
  ReviewReasonSchema,
  reviewOutputHash,
  type ReviewOutput,
} from '../domain/delegation/review-output';
import type { ReviewOutputKind } from '../domain/delegation/schema';
import { conflict, forbidden, invalid, notFound, WardenError } from '../domain/errors';
import { jsonDiff, type JsonChange } from '../domain/delegation/abp-diff';
import type { GateResult } from '../domain/delegation/export-gates';
import {
  approveReviewUpdate,
  delegationReviewWorkflowRef,
  dismissReviewUpdate,
  reviewStatusQuery,
  type ReviewStatus,
  type ReviewVoteResult,
} from '../workflows/delegation/contract';
import { hasSubscriberFor } from '../db/notifications/subscriptions';
import { asBadInput } from './delegation';
import { ReviewOpenCommit, type StoredOpening } from './review-open-commit';
import { ReviewOpenReads } from './review-open-reads';
import { startReviewOpenedDelivery } from './review-opened-delivery';
import { sendVoteUpdate } from './review-vote-start';
import { workflowRefusal } from './errors';
import type { WardenContext } from './context';

const reviewHandle = (ctx: WardenContext, reviewId: string) =>
  ctx.temporal.workflow.getHandle<typeof delegationReviewWorkflowRef>(reviewId);

export type { ReviewRow, ReviewState };

export function reviews(
  ctx: WardenContext,
  filter: { state?: ReviewState; abpId?: string } = {},
): Promise<ReviewRow[]> {
  return listReviews(ctx.pool, filter);
}

export interface ReviewView extends ReviewRow {
  votes: VoteRow[];
  /**
   * When an open review times out (opened_at + the policy's timeout_ms), from its row: the same
   * deadline its workflow counts to, whether or not it has one yet. Null when it has no timeout or
   * is not opened.
   */
  deadline: string | null;
  /**
   * The workflow's live state: null while the review has none (queued, or open and dormant: it
   * gets one at its first vote or when its deadline nears), or when the query did not answer.
   */
  live: ReviewStatus | null;
}

/** The view of a review from its row and votes, with `live` as the caller read it (or null). */
export function reviewViewOf(row: ReviewRow, votes: VoteRow[], live: ReviewStatus | null = null): ReviewView {
  const timeout = row.policy.timeout_ms;
  const deadline =
    row.openedAt === null || timeout === null ? null : new Date(Date.parse(row.openedAt) + timeout).toISOString();
  return { ...row, votes, deadline, live };
}

/** How long `showReview` waits for the workflow's live status. */
const LIVE_QUERY_MS = 3000;

export async function showReview(ctx: WardenContext, reviewId: string): Promise<ReviewView> {
  const row = await findReview(ctx.pool, reviewId);
  if (!row) throw notFound(`review ${reviewId}`);
  let live: ReviewStatus | null = null;
  if (row.workflowStarted) {
    // A query needs a worker: with none polling it would hang until the server gives up, so it is
    // time-boxed and the stored row (votes included) stands on its own when it fails.
    try {
      live = await ctx.temporal.connection.withDeadline(Date.now() + LIVE_QUERY_MS, () =>
        reviewHandle(ctx, reviewId).query(reviewStatusQuery),
      );
    } catch {
      // Not found, no worker, or too slow: the stored row speaks for itself.
    }
  }
  return reviewViewOf(row, await listVotes(ctx.pool, reviewId), live);
}

const reviewOpeningsOf = new WeakMap<WardenContext, { reads: ReviewOpenReads; commit: ReviewOpenCommit }>();

/** The context's batching of review openings, reads and commit (one per context, as its pool is). */
function reviewOpenings(ctx: WardenContext): { reads: ReviewOpenReads; commit: ReviewOpenCommit } {
  let openings = reviewOpeningsOf.get(ctx);
  if (!openings)
    reviewOpeningsOf.set(ctx, (openings = { reads: new ReviewOpenReads(ctx), commit: new ReviewOpenCommit(ctx) }));
  return openings;
}

/**
 * `warden review open`: a person opens a review, typically one queued by a trigger without
 * auto_open, or one no trigger has tripped yet. Only a holder of the review policy's approver role
 * (or an admin) may. Never a second active review per ABP and trigger.
 *
 * Everything that only reads (the principal, the current ABP, the trigger's card) is done before
 * the transaction, for the openings that arrive together at once (ReviewOpenReads); the
 * transaction holds only the review's lock, the insert (on the condition that the ABP read is
 * still the active current version) and the provenance append, and openings that arrive together
 * share one (ReviewOpenCommit): on the embedded database one open transaction holds the only
 * session, so concurrent opens wait for each other's transactions.
 *
 * The review is stored dormant: no workflow until its first vote (approveReview, dismissReview
 * start it) or until its deadline nears (the monitor's pass), so an opening costs no Temporal work
 * unless a webhook subscription wants review.opened.
 */
export async function openReview(
  ctx: WardenContext,
  abpId: string,
  triggerId: string,
  principal: string,
): Promise<ReviewRow> {
  const { reads, commit } = reviewOpenings(ctx);
  const stored = await commit.open(await reads.prepare({ abpId, triggerId, principal }));
  await announceOpening(ctx, stored);
  return stored.row;
}

/**
 * review.opened of a review stored dormant, announced by its storer (startReviewOpenedDelivery):
 * started when a subscription wanted the event as the review was stored (the storing statement read
 * it; a queued review opened is asked here), none otherwise, so an opening nobody listens to starts
 * no workflow at all.
 *
 * A failed start is logged and the opening stands: the review is stored, its provenance entry
 * (review.opened, the record an auditor reads) is written and it is listed by the dashboard, the
 * inbox and the CLI; only the webhook of this one event is lost, as it was before when a process
 * died between storing a review and starting its workflow (the workflow announced it).
 */
async function announceOpening(ctx: WardenContext, { row, openedSubscribed }: StoredOpening): Promise<void> {
  try {
    if (openedSubscribed ?? (await hasSubscriberFor(ctx.pool, 'review.opened')))
      await startReviewOpenedDelivery(ctx, row);
  } catch (error) {
    console.warn(`review ${row.reviewId} is open, but its review.opened delivery did not start:`, error);
  }
}

/** A refused Update becomes the error a person can act on: 403 for who they are, 400 for the output, 409 for the review's state. */
async function sendVote<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    throw workflowRefusal(error);
  }
}

async function requireOpenWorkflow(ctx: WardenContext, reviewId: string): Promise<ReviewRow> {
  return openWorkflowOf(reviewId, await findReview(ctx.pool, reviewId));
}

function openWorkflowOf(reviewId: string, row: ReviewRow | undefined): ReviewRow {
  if (!row) throw notFound(`review ${reviewId}`);
  if (row.state === 'queued')
    throw conflict(
      `review ${reviewId} is queued: open it first with \`warden review open ${row.abpId} ${row.triggerId}\``,
    );
  if (row.state !== 'open') throw conflict(`review ${reviewId} is ${row.state}`);
  return row;
}

export interface ApprovalPlan {
  output: ReviewOutput;
  outputHash: string;
  plan: OutputPlan;
}

/**
 * The dry-run of an approval: the output document validated for its kind, its hash, and what it
 * would do to the ABP as it is now (resulting ABP, contradictions, identity, export gates) with
 * every problem named by field or gate. Writes nothing.
 */
export async function planApproval(
  ctx: WardenContext,
  review: ReviewRow,
  input: { outputKind: ReviewOutputKind; document: unknown },
): Promise<ApprovalPlan> {
  const output = await asBadInput(() => parseReviewOutput(input.outputKind, input.document));
  const outputHash = reviewOutputHash(output);
  const read = await readApproval(ctx.pool, { reviewId: review.reviewId, outputHash });
  return planOn(ctx, review, read, output, outputHash);
}

/** planApproval on an approval's reading (its output, current ABP and export rows read in one statement). */
function planOn(
  ctx: WardenContext,
  review: ReviewRow,
  read: ApprovalReading,
  output: ReviewOutput,
  outputHash: string,
): Promise<ApprovalPlan> {
  // A replacement without created_at takes the time its output was first named (as applying does).
  const createdAt = read.output?.createdAt ?? new Date().toISOString();
  const reading = { abpId: review.abpId, current: read.current, exports: read.exports };
  return planOutputOn(ctx.pool, reading, { ...output, createdAt }).then((plan) => ({ output, outputHash, plan }));
}

const looksLikeSpec = (document: unknown) =>
  typeof document === 'object' && document !== null && 'scope' in document && 'authority_ref' in document;

export interface ApproveReviewInput {
  principal: string;
  /** Default: the review policy's `output` (the seed's "default output type"), as the ABP declared it. */
  outputKind?: ReviewOutputKind;
  /** The patch or replacement spec; for abp_revoke it defaults to `{ reason }`. */
  document?: unknown;
  reason: string;
}

/** A problem of a dry run by the field (or export gate) it concerns, as the dashboard marks it. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** "scope.contract_id: cannot be patched" → its field and message; a problem without a field concerns the document. */
export function fieldIssue(problem: string): FieldIssue {
  const at = problem.indexOf(': ');
  return at > 0
    ? { field: problem.slice(0, at), message: problem.slice(at + 2) }
    : { field: '(document)', message: problem };
}

/** What `review approve --dry-run` and `POST …/approve?dry_run=true` answer: nothing is written, no vote counted. */
export interface ApprovalDryRun {
  dryRun: true;
  reviewId: string;
  ok: boolean;
  outputKind: ReviewOutputKind;
  /** The hash approvals of this output would be counted under (null when the document is refused). */
  outputHash: string | null;
  issues: FieldIssue[];
  current: { abpId: string; abpHash: string } | null;
  /** The ABP the output yields and its status; null for a refused document. */
  next: { abpId: string; abpHash: string; status: 'active' | 'revoked' } | null;
  /** Field by field, the current ABP against the one the output yields (empty for a revocation). */
  diff: JsonChange[];
  exports: { exportId: string; fileName: string; gates: GateResult[] }[];
}

/**
 * The dry run of an approval: the same checks a vote gets (an open review, the approver's role,
 * the output planned against the ABP as it is now), answered with the resulting diff, the new hash
 * and the export gates; an output that would not apply comes back with its problems by field.
 */
export async function dryRunApproval(
  ctx: WardenContext,
  reviewId: string,
  input: { principal: string; outputKind?: ReviewOutputKind; document?: unknown; reason?: string },
): Promise<ApprovalDryRun> {
  const review = await requireOpenWorkflow(ctx, reviewId);
  const approver = await requirePrincipal(ctx.pool, input.principal);
  const role = review.policy.approver_role;
  if (!approver.roles.includes(role)) throw forbidden(`${input.principal} does not hold the approver role ${role}`);
  const output = outputOf(review, { ...input, reason: input.reason ?? '' });
  const refused = {
    dryRun: true as const,
    reviewId,
    ok: false,
    outputKind: output.outputKind,
    outputHash: null,
    current: null,
    next: null,
    diff: [],
    exports: [],
  };
  let planned: ApprovalPlan;
  try {
    planned = await planApproval(ctx, review, output);
  } catch (error) {
    const problems = error instanceof WardenError && Array.isArray(error.details) ? (error.details as string[]) : null;
    if (!problems) throw error;
    return { ...refused, issues: problems.map(fieldIssue) };
  }
  const { plan, outputHash } = planned;
  const next = plan.stamped
    ? { abpId: plan.stamped.abp.abp_id, abpHash: plan.stamped.abp.hash, status: plan.stamped.status }
    : null;
  return {
    ...refused,
    ok: plan.problems.length === 0,
    outputHash,
    issues: plan.problems.map(fieldIssue),
    current: plan.current ? { abpId: plan.current.abpId, abpHash: plan.current.abpHash } : null,
    next,
    diff: plan.base && plan.next ? jsonDiff(plan.base, plan.next) : [],
    exports: plan.exports.map((e) => ({ exportId: e.row.exportId, fileName: e.row.fileName, gates: e.gates })),
  };
}

/**
 * The output an approval names: its kind defaults to the review policy's `output` (refusing a full
 * spec under a default abp_patch), and a revocation's document defaults to `{ reason }`.
 */
function outputOf(review: ReviewRow, input: ApproveReviewInput): { outputKind: ReviewOutputKind; document: unknown } {
  const outputKind = input.outputKind ?? review.policy.output;
  if (!input.outputKind && outputKind === 'abp_patch' && looksLikeSpec(input.document)) {
    throw invalid(
      "output_kind: the review policy's default output is abp_patch, but the document is a full ABP spec " +
        '(scope and authority_ref); name output_kind abp_replace to replace the ABP',
    );
  }
  return { outputKind, document: documentOf(outputKind, input) };
}

/** A revocation's document defaults to `{ reason }`. */
const documentOf = (outputKind: ReviewOutputKind, input: { document?: unknown; reason: string }) =>
  outputKind === 'abp_revoke' && input.document === undefined ? { reason: input.reason } : input.document;

/**
 * `warden review approve`: checks the approver role and dry-runs the output first, so a refused
 * approver or an output that would not apply is never stored; then stores the named output and
 * sends the approval Update, whose activity checks the role, the dry-run, the single vote and the
 * threshold again under the review's lock. A review whose workflow has not started gets it started
 * by this vote (review-vote-start.ts).
 */
export async function approveReview(
  ctx: WardenContext,
  reviewId: string,
  input: ApproveReviewInput,
): Promise<ReviewVoteResult & { outputHash: string }> {
  // The output's hash is known before the review only when its kind is named (the default kind is
  // the review policy's): then the review, the approver, the output, the ABP and its exports are
  // one statement; else the output, ABP and exports are read once the review gave the kind.
  const named =
    input.outputKind === undefined ? undefined : namedOutput(input.outputKind, documentOf(input.outputKind, input));
  const read = await readApproval(ctx.pool, { reviewId, principal: input.principal, outputHash: named?.outputHash });
  const review = openWorkflowOf(reviewId, read.review);
  const approver = read.principal;
  if (!approver) throw new UnknownPrincipalError(input.principal);
  const role = review.policy.approver_role;
  if (!approver.roles.includes(role)) throw forbidden(`${input.principal} does not hold the approver role ${role}`);
  z.object({ reason: ReviewReasonSchema }).parse({ reason: input.reason });
  const { output, outputHash, plan } = named
    ? await planOn(ctx, review, read, named.output, named.outputHash)
    : await planApproval(ctx, review, outputOf(review, input));
  if (plan.problems.length > 0) throw invalid(`the output would not apply: ${plan.problems.join('; ')}`, plan.problems);
  await storeOutput(ctx.pool, reviewId, outputHash, output.kind, output.document, input.principal);
  const result = await sendVote(() =>
    sendVoteUpdate(ctx, review, approveReviewUpdate, {
      principal: input.principal,
      outputKind: output.kind,
      outputHash,
      reason: input.reason,
    }),
  );
  return { ...result, outputHash };
}

/**
 * An output whose kind the approver named, parsed and hashed before anything is read; refused (400)
 * as planApproval refuses it, but only after the review, the approver and the reason were checked.
 */
function namedOutput(
  outputKind: ReviewOutputKind,
  document: unknown,
): { output: ReviewOutput; outputHash: string } | undefined {
  try {
    const output = parseReviewOutput(outputKind, document);
    return { output, outputHash: reviewOutputHash(output) };
  } catch {
    return undefined;
  }
}

export async function dismissReview(
  ctx: WardenContext,
  reviewId: string,
  input: { principal: string; reason: string },
): Promise<ReviewVoteResult> {
  const review = await requireOpenWorkflow(ctx, reviewId);
  await requirePrincipal(ctx.pool, input.principal);
  z.object({ reason: ReviewReasonSchema }).parse({ reason: input.reason });
  return sendVote(() => sendVoteUpdate(ctx, review, dismissReviewUpdate, input));
}

/**
 * Waits for a review workflow to finish and returns its final state. A review nobody voted on is
 * dormant (no workflow): it has no result until its workflow starts (its first vote, or a monitor
 * pass as its deadline nears), so this waits on a vote or that pass; call it after a vote.
 */
export function reviewResult(ctx: WardenContext, reviewId: string): Promise<ReviewStatus> {
  return reviewHandle(ctx, reviewId).result();
}
