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

  verifyAbp(abpId: string) {
    return delegation.verifyAbp(this.ctx, abpId);
  }

  checkAction(abpId: string, action: unknown) {
    return delegation.checkAbpAction(this.ctx, abpId, action);
  }

  ingest(ndjson: string, opts: { kind?: IntakeKind; as?: string } = {}) {
    return delegation.ingestEvidence(this.ctx, ndjson, { kind: opts.kind, actor: opts.as ?? null });
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
    return reviews.approveReview(this.ctx, reviewId, { principal: opts.as, outputKind: opts.output, document, reason: opts.reason });
  }

  dismiss(reviewId: string, opts: { as: string; reason: string }) {
    return reviews.dismissReview(this.ctx, reviewId, { principal: opts.as, reason: opts.reason });
  }

  /** Waits for a review to conclude and returns its final state. */
  result(reviewId: string) {
    return reviews.reviewResult(this.ctx, reviewId);
  }
}
