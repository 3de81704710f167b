import type { ReviewState } from './delegation-reviews';
import type { IntakeKind } from '../domain/delegation/intake';
import type { ReviewOutputKind } from '../domain/delegation/schema';
import { openContext, type WardenContext } from './context';
import * as delegation from './delegation';
import * as reviews from './delegation-reviews';

/**
 * The delegation review loop for TypeScript callers: the CLI's and HTTP API's operations on one
 * object. `DelegationLoop.connect()` reads the same environment as the CLI; `new
 * DelegationLoop(ctx)` reuses an open context (which the caller then closes).
 */
export class DelegationLoop {
  constructor(
    readonly ctx: WardenContext,
    private readonly ownsContext = false,
  ) {}

  static async connect(opts: Parameters<typeof openContext>[0] = {}): Promise<DelegationLoop> {
    return new DelegationLoop(await openContext(opts), true);
  }

  async close(): Promise<void> {
    if (this.ownsContext) await this.ctx.close();
  }

  buildAbp(spec: unknown, opts: { as?: string } = {}) {
    return delegation.buildAbpFromSpec(this.ctx, spec, opts.as ?? null);
  }

  showAbp(abpId: string) {
    return delegation.showAbp(this.ctx, abpId);
  }

  /** A new parent version listing `childIds`, each child stamped with it. */
  compose(parentId: string, childIds: string[], opts: { as?: string } = {}) {
    return delegation.composeAbp(this.ctx, parentId, childIds, opts.as ?? null);
  }

  verifyAbp(abpId: string) {
    return delegation.verifyAbp(this.ctx, abpId);
  }

  /**
   * Checks an action in process: decided from the compiled ABP, answered once the verdict is
   * stored; `waitForEvaluation` also waits for the trigger evaluation a blocked irreversible one causes.
   */
  checkAction(abpId: string, action: unknown, opts: delegation.AfterWriteOptions = {}) {
    return delegation.checkAbpAction(this.ctx, abpId, action, opts);
  }

  /** The outcome of an allowed action, judged by the ABP's post_action validators. */
  reportOutcome(abpId: string, checkId: string, outcome: unknown, opts: { as?: string } = {}) {
    return delegation.reportActionOutcome(this.ctx, abpId, checkId, outcome, opts.as ?? null);
  }

  /** Lets an agent degraded by a post_action validator act again (operator or admin). */
  clearDegradation(abpId: string, agentId: string | null, opts: { as: string; reason: string }) {
    return delegation.clearDegradedAgent(this.ctx, abpId, agentId, { principal: opts.as, reason: opts.reason });
  }

  /** Stores the batch and answers; the triggers are evaluated right after (awaited with `waitForEvaluation`). */
  ingest(ndjson: string, opts: { kind?: IntakeKind; as?: string } & delegation.AfterWriteOptions = {}) {
    return delegation.ingestEvidence(this.ctx, ndjson, {
      kind: opts.kind,
      actor: opts.as ?? null,
      waitForEvaluation: opts.waitForEvaluation,
    });
  }

  /** The evaluation that answered a write's request (`evaluationRequests` of its result); null until it ran. */
  evaluation(abpId: string, requestId: string) {
    return delegation.evaluationResult(this.ctx, abpId, requestId);
  }

  triggers(abpId: string) {
    return delegation.triggerCards(this.ctx, abpId);
  }

  /** One monitor pass now, as the Schedule runs it. */
  evaluate(abpIds?: string[]) {
    return delegation.runDelegationEvaluation(this.ctx, abpIds);
  }

  reviews(filter: { state?: ReviewState; abpId?: string } = {}) {
    return reviews.reviews(this.ctx, filter);
  }

  review(reviewId: string) {
    return reviews.showReview(this.ctx, reviewId);
  }

  openReview(abpId: string, triggerId: string, opts: { as: string }) {
    return reviews.openReview(this.ctx, abpId, triggerId, opts.as);
  }

  /** `output` defaults to the review policy's `output`, as the ABP declared it. */
  approve(reviewId: string, opts: { as: string; output?: ReviewOutputKind; document?: unknown; reason: string }) {
    const document = opts.output === 'abp_revoke' ? { reason: opts.reason } : opts.document;
    return reviews.approveReview(this.ctx, reviewId, {
      principal: opts.as,
      outputKind: opts.output,
      document,
      reason: opts.reason,
    });
  }

  dismiss(reviewId: string, opts: { as: string; reason: string }) {
    return reviews.dismissReview(this.ctx, reviewId, { principal: opts.as, reason: opts.reason });
  }

  /** Waits for a review to conclude and returns its final state. */
  result(reviewId: string) {
    return reviews.reviewResult(this.ctx, reviewId);
  }
}
