import { listCurrent, listVersions, type CurrentAbp } from '../db/delegation/abps';
import type { TriggerCard } from '../db/delegation/trigger-cards';
import { listProvenance, type ProvenanceEntry } from '../db/provenance/log';
import { verifyProvenance, type ProvenanceVerification } from './provenance-verify';
import type { GateResult } from '../domain/delegation/export-gates';
import type { WardenContext } from './context';
import { triggerCards, verifyAbp } from './delegation';
import { reviews, reviewViewOf, type ReviewView } from './delegation-reviews';
import { changeStamp } from '../db/change-stamp';
import { listVotes } from '../db/delegation/review-votes';
import { gatesByAppliedHash } from '../db/delegation/reviews';
import { recentEndorsementIds } from '../db/endorsement/endorsements';
import { divergenceSeries, type DivergencePoint } from '../db/endorsement/shadow-samples';
import { showEndorsement, type EndorsementReport } from './endorsement';
import { listProposals, type ProposalListItem } from './guard';

/** Where the dashboard's links into the Temporal Web UI point. */
export interface TemporalLinks {
  uiUrl: string;
  namespace: string;
  /** The namespace's workflow list; append `/<workflowId>` for one workflow, `?query=` to filter. */
  workflowsUrl: string;
}

export function temporalLinks(ctx: WardenContext): TemporalLinks {
  const uiUrl = ctx.config.temporal.uiUrl.replace(/\/+$/, '');
  const namespace = ctx.config.temporal.namespace;
  return { uiUrl, namespace, workflowsUrl: `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows` };
}

export interface AbpVersionEntry {
  /** The version's number (1 = first recorded), as `abp diff --from/--to` names it. */
  number: number;
  hash: string;
  source: string;
  reviewId: string | null;
  recordedAt: string;
  current: boolean;
  /** Gates of the exports stamped with this version: recorded at apply time, re-run for the current one. */
  gates: GateResult[] | null;
}

export interface AbpPanel {
  abpId: string;
  abpHash: string;
  status: string;
  statusReason: string | null;
  cards: TriggerCard[];
  /** Queued and open reviews, then the five most recently concluded. */
  reviews: ReviewView[];
  history: AbpVersionEntry[];
  verification: { ok: boolean; checks: GateResult[] };
}

/** Every ABP scope with its current version and status. */
export async function abpList(
  ctx: WardenContext,
): Promise<Pick<CurrentAbp, 'abpId' | 'abpHash' | 'status' | 'statusReason' | 'replacedBy'>[]> {
  return (await listCurrent(ctx.pool)).map((a) => ({
    abpId: a.abpId,
    abpHash: a.abpHash,
    status: a.status,
    statusReason: a.statusReason,
    replacedBy: a.replacedBy,
  }));
}

/** ABP version history with hashes and the gate results of each version's exports. */
export async function abpHistory(
  ctx: WardenContext,
  abpId: string,
): Promise<{ abpId: string; versions: AbpVersionEntry[]; verification: AbpPanel['verification'] }> {
  // verifyAbp reads the ABP itself (and refuses an unknown id); only the version list is added here.
  const [verified, listed, recorded] = await Promise.all([
    verifyAbp(ctx, abpId),
    listVersions(ctx.pool, abpId),
    gatesByAppliedHash(ctx.pool, abpId),
  ]);
  const versions = listed
    .map((v) => {
      const current = v.hash === verified.abpHash;
      const gates = current ? verified.exports.flatMap((e) => e.gates) : (recorded.get(v.hash) ?? null);
      return {
        number: v.number,
        hash: v.hash,
        source: v.source,
        reviewId: v.reviewId,
        recordedAt: v.recordedAt,
        current,
        gates,
      };
    })
    .reverse();
  return { abpId, versions, verification: { ok: verified.ok, checks: verified.checks } };
}

/**
 * Queued and open reviews, then the five most recently concluded, each with its stored votes and
 * its deadline from the row: the panel needs no workflow query (`live` is null; showReview has it).
 */
async function panelReviews(ctx: WardenContext, abpId: string): Promise<ReviewView[]> {
  const all = await reviews(ctx, { abpId });
  const active = all.filter((r) => r.state === 'queued' || r.state === 'open');
  const concluded = all
    .filter((r) => r.state !== 'queued' && r.state !== 'open')
    .sort((a, b) => (b.concludedAt ?? b.queuedAt).localeCompare(a.concludedAt ?? a.queuedAt))
    .slice(0, 5);
  // Concluded ones keep their votes: who approved or dismissed, why, and which output.
  return Promise.all(
    [...active, ...concluded].map(async (r) => reviewViewOf(r, await listVotes(ctx.pool, r.reviewId))),
  );
}

async function abpPanel(
  ctx: WardenContext,
  current: Awaited<ReturnType<typeof listCurrent>>[number],
): Promise<AbpPanel> {
  // Independent reads: the panel waits for the slowest, not their sum.
  const [shown, history, cards] = await Promise.all([
    panelReviews(ctx, current.abpId),
    abpHistory(ctx, current.abpId),
    triggerCards(ctx, current.abpId),
  ]);
  return {
    abpId: current.abpId,
    abpHash: current.abpHash,
    status: current.status,
    statusReason: current.statusReason,
    cards,
    reviews: shown,
    history: history.versions,
    verification: history.verification,
  };
}

/** One ABP that could not be read must not blank the whole dashboard: it shows its error instead. */
function failedAbpPanel(current: Awaited<ReturnType<typeof listCurrent>>[number], error: unknown): AbpPanel {
  return {
    abpId: current.abpId,
    abpHash: current.abpHash,
    status: current.status,
    statusReason: `could not be read: ${error instanceof Error ? error.message : String(error)}`,
    cards: [],
    reviews: [],
    history: [],
    verification: { ok: false, checks: [] },
  };
}

export interface EndorsementPanel extends EndorsementReport {
  series: DivergencePoint[];
}

export async function endorsementPanels(ctx: WardenContext): Promise<EndorsementPanel[]> {
  const ids = await recentEndorsementIds(ctx.pool);
  return Promise.all(
    ids.map(async (id) => ({ ...(await showEndorsement(ctx, id)), series: await divergenceSeries(ctx.pool, id) })),
  );
}

export type ProposalPanel = ProposalListItem;

export function proposalPanels(ctx: WardenContext): Promise<ProposalPanel[]> {
  return listProposals(ctx);
}

export interface DashboardView {
  stamp: string;
  generatedAt: string;
  temporal: TemporalLinks;
  abps: AbpPanel[];
  endorsements: EndorsementPanel[];
  proposals: ProposalPanel[];
  provenance: { entries: ProvenanceEntry[]; verification: ProvenanceVerification };
}

/** How long one computed view serves every open dashboard while nothing moves. */
const VIEW_REUSE_MS = 15_000;
const lastViews = new WeakMap<WardenContext, { stamp: string; at: number; view: Promise<DashboardView> }>();

/**
 * Everything the governance dashboard shows, in one answer (refetched when the stamp moves).
 * Tabs refetching for the same change share one computation, also while it is still running
 * (they all see the stamp move at once): the chain walk and the export gates are the expensive part.
 */
export async function dashboardView(ctx: WardenContext): Promise<DashboardView> {
  // Taken first: a change landing while the rest is read moves the stamp again, so it is not missed.
  const stamp = await changeStamp(ctx.pool);
  const last = lastViews.get(ctx);
  if (last && last.stamp === stamp && Date.now() - last.at < VIEW_REUSE_MS) return last.view;
  const view = computeView(ctx, stamp);
  lastViews.set(ctx, { stamp, at: Date.now(), view });
  // A failed computation is not kept: the next request tries again.
  view.catch(() => {
    if (lastViews.get(ctx)?.view === view) lastViews.delete(ctx);
  });
  return view;
}

async function computeView(ctx: WardenContext, stamp: string): Promise<DashboardView> {
  const generatedAt = new Date().toISOString();
  const [abps, endorsements, proposals, entries, verification] = await Promise.all([
    listCurrent(ctx.pool).then((list) =>
      Promise.all(list.map((a) => abpPanel(ctx, a).catch((error: unknown) => failedAbpPanel(a, error)))),
    ),
    endorsementPanels(ctx),
    proposalPanels(ctx),
    listProvenance(ctx.pool, { limit: 25 }),
    verifyProvenance(ctx.pool, ctx.temporal, ctx.provenanceKey),
  ]);
  return {
    stamp,
    generatedAt,
    temporal: temporalLinks(ctx),
    abps,
    endorsements,
    proposals,
    provenance: { entries, verification },
  };
}

export function dashboardStamp(ctx: WardenContext): Promise<string> {
  return changeStamp(ctx.pool);
}
