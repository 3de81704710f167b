import type pg from 'pg';
import { requirePrincipal, type Principal } from '../db/access/principals';
import { findCurrentByAbpIds } from '../db/delegation/abps';
import { readTriggerCardsOf, type TriggerCard } from '../db/delegation/trigger-cards';
import { ADMIN_ROLE, requireRole } from '../domain/authorization';
import { AbpSchema, type Abp, type DelegationTrigger } from '../domain/delegation/schema';
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
 * one read per principal named, one of all their current ABPs and one of all their trigger cards
 * (readTriggerCardsOf), where each opening read them for itself (the cards took two statements
 * each). Reading apart spread concurrent openings out in time, so they seldom met in one
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
    const checked = await Promise.all(
      requests.map((request) =>
        this.check(request, principals.get(request.principal)!, currents).catch((error: unknown) => ({ error })),
      ),
    );
    // The trigger cards of every opening that passed its checks: one statement for them all.
    const passed = checked.flatMap((c) => ('error' in c ? [] : [c]));
    const cards = await readTriggerCardsOf(
      pool,
      passed.map((c) => ({ abp: c.abp, triggerId: c.request.triggerId })),
    );
    return Promise.all(
      checked.map(async (c) => {
        if ('error' in c) return c;
        const asked = cards[passed.indexOf(c)]!;
        // A condition the ABP cannot have been stored with is still that opening's bad input alone.
        return asBadInput(() => {
          if ('error' in asked) throw asked.error;
          return { opening: openingOf(c, asked.card) };
        }).catch((error: unknown) => ({ error }));
      }),
    );
  }

  /** One opening's checks, in the order it had alone: its principal, the active ABP, the trigger, the role. */
  private async check(
    request: OpenRequest,
    openerRead: Promise<Principal>,
    currents: Awaited<ReturnType<typeof findCurrentByAbpIds>>,
  ): Promise<Checked> {
    const { abpId, triggerId } = request;
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
    return { request, abp, trigger, current: { abpId: current.abpId, abpHash: current.abpHash } };
  }
}

interface Checked {
  request: OpenRequest;
  abp: Abp;
  trigger: DelegationTrigger;
  current: { abpId: string; abpHash: string };
}

function openingOf({ request, abp, trigger, current }: Checked, card: TriggerCard): ReviewOpening {
  return {
    review: {
      abpId: request.abpId,
      abpHash: abp.hash,
      triggerId: request.triggerId,
      severity: trigger.severity,
      state: 'open',
      policy: abp.delegation_review!.review_policy,
      reading: { ...card, activeReview: undefined },
      openedBy: request.principal,
      whileCurrent: current,
    },
  };
}
