import type pg from 'pg';
import { requirePrincipal, type Principal } from '../db/access/principals';
import { findCurrentByAbpIds } from '../db/delegation/abps';
import { readTriggerCards } from '../db/delegation/trigger-cards';
import { ADMIN_ROLE, requireRole } from '../domain/authorization';
import { AbpSchema } from '../domain/delegation/schema';
import { invalid, notFound } from '../domain/errors';
import { asBadInput } from './delegation';
import { GroupCommit } from './group-commit';
import type { ReviewOpening } from './review-open-commit';

/** What a person asks for when opening a review (`warden review open`). */
export interface OpenRequest {
  abpId: string;
  triggerId: string;
  principal: string;
}

type Prepared = { opening: ReviewOpening } | { error: unknown };

/**
 * The reads and checks before a review opening is stored (the principal and their role, the
 * current ABP and its trigger, the trigger's card), done for the openings that arrive together:
 * one read per principal named and one of all their current ABPs, where each opening read them
 * for itself. Reading apart spread concurrent openings out in time, so they seldom met in one
 * ReviewOpenCommit batch; read together, they go to it together. Each opening still gets the
 * refusal it would have had alone, in the same order of checks.
 */
export class ReviewOpenReads {
  private readonly reads: GroupCommit<OpenRequest, Prepared>;

  constructor(private readonly deps: { pool: pg.Pool }) {
    this.reads = new GroupCommit((requests) => this.readAll(requests));
  }

  async prepare(request: OpenRequest): Promise<ReviewOpening> {
    const prepared = await this.reads.submit(request);
    if ('error' in prepared) throw prepared.error;
    return prepared.opening;
  }

  private async readAll(requests: OpenRequest[]): Promise<Prepared[]> {
    const { pool } = this.deps;
    const principals = new Map<string, Promise<Principal>>();
    for (const { principal } of requests)
      if (!principals.has(principal)) principals.set(principal, requirePrincipal(pool, principal));
    // An unknown principal is that opening's refusal, not the batch's.
    for (const p of principals.values()) p.catch(() => undefined);
    const currents = await findCurrentByAbpIds(pool, [...new Set(requests.map((r) => r.abpId))]);
    const now = new Date();
    return Promise.all(
      requests.map((request) =>
        this.prepareOne(request, principals.get(request.principal)!, currents, now).then(
          (opening) => ({ opening }),
          (error: unknown) => ({ error }),
        ),
      ),
    );
  }

  private async prepareOne(
    { abpId, triggerId, principal }: OpenRequest,
    openerRead: Promise<Principal>,
    currents: Awaited<ReturnType<typeof findCurrentByAbpIds>>,
    now: Date,
  ): Promise<ReviewOpening> {
    const opener = await openerRead;
    const current = currents.get(abpId);
    if (!current || current.status !== 'active') throw notFound(`active ABP ${abpId}`);
    const abp = AbpSchema.parse(current.document);
    const trigger = abp.delegation_review?.triggers.find((t) => t.id === triggerId);
    if (!trigger) throw invalid(`${abpId} has no delegation review trigger ${triggerId}`);
    requireRole(
      opener,
      [abp.delegation_review!.review_policy.approver_role, ADMIN_ROLE],
      `open a review of ${abpId} ${triggerId}`,
    );
    const [card] = await asBadInput(() => readTriggerCards(this.deps.pool, abp, now, triggerId));
    return {
      review: {
        abpId,
        abpHash: abp.hash,
        triggerId,
        severity: trigger.severity,
        state: 'open',
        policy: abp.delegation_review!.review_policy,
        reading: { ...card, activeReview: undefined },
        openedBy: principal,
        whileCurrent: { abpId: current.abpId, abpHash: current.abpHash },
      },
      triggerName: trigger.name,
    };
  }
}
