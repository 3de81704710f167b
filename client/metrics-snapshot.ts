import { listCurrent } from '../db/delegation/abps';
import { readTriggerCards, type TriggerCard } from '../db/delegation/trigger-cards';
import { countDeliveries } from '../db/notifications/deliveries';
import { scoredDivergences } from '../db/endorsement/shadow-samples';
import { openReviewTimes } from '../db/delegation/reviews';
import { AbpSchema } from '../domain/delegation/schema';
import type { EndorsementState } from '../domain/endorsement/states';
import { PROPOSAL_STATES } from '../domain/guard/proposal-state';
import type { WardenWorkflowKind } from '../domain/search-attributes';
import type { DeliveryStatus } from '../domain/notifications/subscription';
import type { ReviewWorkflowState } from '../workflows/delegation/contract';
import type { WardenContext } from './context';

// Records keyed by the state types: adding a state to a loop without listing it here fails to compile.
const endorsementStates: Record<EndorsementState, true> = {
  registering: true,
  pending: true,
  staged: true,
  inconclusive: true,
  applied: true,
  promoted: true,
  rejected: true,
  aborted: true,
  expired: true,
  refused: true,
};
const reviewStates: Record<ReviewWorkflowState, true> = {
  open: true,
  applying: true,
  applied: true,
  failed: true,
  dismissed: true,
  timed_out: true,
};

/** Every WardenKind and the WardenState values its workflows set. */
export const WORKFLOW_STATES: Record<WardenWorkflowKind, readonly string[]> = {
  endorsement: Object.keys(endorsementStates),
  review: Object.keys(reviewStates),
  proposal: PROPOSAL_STATES,
  monitor: ['evaluating', 'done'],
  notification: ['delivering', 'delivered', 'failed', 'no_subscribers'],
};

export interface MetricsSnapshot {
  /** Per kind and state; `other` counts workflows of a kind whose state is not listed. */
  workflows: { kind: string; state: string; count: number }[];
  divergences: { agentId: string; divergence: number }[];
  openReviews: { reviewId: string; abpId: string; triggerId: string; severity: string; openedAtMs: number }[];
  triggers: TriggerCard[];
  deliveries: { eventType: string; status: DeliveryStatus; count: number }[];
}

const quote = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;

/**
 * Counts from Temporal visibility, scoped to this installation's task queue (a namespace may hold
 * other Warden installations or other applications). One count per kind and state: visibility
 * groups only by ExecutionStatus, not by custom attributes. Review `open` counts the open reviews
 * that have a workflow (voted on, or near their deadline); open reviews are counted from
 * PostgreSQL (`openReviews`), dormant ones included.
 */
async function countWorkflows(ctx: WardenContext): Promise<MetricsSnapshot['workflows']> {
  const scope = `TaskQueue = ${quote(ctx.taskQueue)}`;
  const perKind = await Promise.all(
    Object.entries(WORKFLOW_STATES).map(async ([kind, states]) => {
      const base = `${scope} AND WardenKind = ${quote(kind)}`;
      const [total, ...perState] = await Promise.all([
        ctx.temporal.workflow.count(base),
        ...states.map((state) => ctx.temporal.workflow.count(`${base} AND WardenState = ${quote(state)}`)),
      ]);
      const rows = states.map((state, i) => ({ kind, state, count: perState[i]!.count }));
      const listed = rows.reduce((sum, r) => sum + r.count, 0);
      return [...rows, { kind, state: 'other', count: Math.max(0, total!.count - listed) }];
    }),
  );
  return perKind.flat();
}

/** The same cards `warden triggers` shows, for every active ABP; a document that no longer parses is skipped. */
async function readAllTriggerCards(ctx: WardenContext): Promise<TriggerCard[]> {
  const active = await listCurrent(ctx.pool, { status: 'active' });
  const perAbp = await Promise.all(
    active.map((current) => {
      const parsed = AbpSchema.safeParse(current.document);
      return parsed.success ? readTriggerCards(ctx.pool, parsed.data) : [];
    }),
  );
  return perAbp.flat();
}

export async function readMetricsSnapshot(ctx: WardenContext): Promise<MetricsSnapshot> {
  const [workflows, divergences, openReviews, triggers, deliveries] = await Promise.all([
    countWorkflows(ctx),
    scoredDivergences(ctx.pool),
    openReviewTimes(ctx.pool),
    readAllTriggerCards(ctx),
    countDeliveries(ctx.pool),
  ]);
  return { workflows, divergences, openReviews, triggers, deliveries };
}

/**
 * Scrapes every few seconds from several Prometheus servers must not turn into dozens of
 * visibility queries each: one snapshot is shared until it is `ttlMs` old, and concurrent
 * scrapes wait for the same refresh.
 */
export function cachedSnapshot(
  read: () => Promise<MetricsSnapshot>,
  ttlMs: number,
  now = () => Date.now(),
): () => Promise<MetricsSnapshot> {
  let cached: { at: number; value: Promise<MetricsSnapshot> } | undefined;
  return () => {
    const t = now();
    if (!cached || t - cached.at >= ttlMs) {
      const value = read();
      cached = { at: t, value };
      // A failed refresh is not kept: the next scrape tries again.
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return cached.value;
  };
}
