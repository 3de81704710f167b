import { listCurrent } from '../activities/delegation/abp-store';
import type { TriggerCard } from '../activities/delegation/trigger-cards';
import type { ProposalView } from '../activities/guard/proposal-record';
import { listProvenance, verifyProvenanceChain, type ChainVerification, type ProvenanceEntry } from '../db/provenance-log';
import type { GateResult } from '../domain/abp/export-gates';
import type { WardenContext } from './context';
import { showAbp, triggerCards, verifyAbp } from './delegation';
import { reviews, showReview, type ReviewView } from './delegation-reviews';
import { changeStamp, divergenceSeries, gatesByAppliedHash, recentEndorsementIds, recentProposals, type DivergencePoint } from './dashboard-reads';
import { showEndorsement, type EndorsementReport } from './endorsement';
import { showProposal } from './guard';

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

/** ABP version history with hashes and the gate results of each version's exports. */
export async function abpHistory(ctx: WardenContext, abpId: string): Promise<{ abpId: string; versions: AbpVersionEntry[]; verification: AbpPanel['verification'] }> {
  const view = await showAbp(ctx, abpId);
  const verified = await verifyAbp(ctx, abpId);
  const recorded = await gatesByAppliedHash(ctx.pool, abpId);
  const versions = view.versions
    .map((v) => {
      const current = v.hash === verified.abpHash;
      const gates = current ? verified.exports.flatMap((e) => e.gates) : (recorded.get(v.hash) ?? null);
      return { hash: v.hash, source: v.source, reviewId: v.reviewId, recordedAt: v.recordedAt, current, gates };
    })
    .reverse();
  return { abpId, versions, verification: { ok: verified.ok, checks: verified.checks } };
}

async function abpPanel(ctx: WardenContext, current: Awaited<ReturnType<typeof listCurrent>>[number]): Promise<AbpPanel> {
  const all = await reviews(ctx, { abpId: current.abpId });
  const active = all.filter((r) => r.state === 'queued' || r.state === 'open');
  const concluded = all
    .filter((r) => r.state !== 'queued' && r.state !== 'open')
    .sort((a, b) => (b.concludedAt ?? b.queuedAt).localeCompare(a.concludedAt ?? a.queuedAt))
    .slice(0, 5);
  const shown = await Promise.all([...active, ...concluded].map((r) => (r.state === 'open' ? showReview(ctx, r.reviewId) : { ...r, votes: [], live: null })));
  const history = await abpHistory(ctx, current.abpId);
  return {
    abpId: current.abpId,
    abpHash: current.abpHash,
    status: current.status,
    statusReason: current.statusReason,
    cards: await triggerCards(ctx, current.abpId),
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
  return Promise.all(ids.map(async (id) => ({ ...(await showEndorsement(ctx, id)), series: await divergenceSeries(ctx.pool, id) })));
}

export interface ProposalPanel extends ProposalView {
  approver_role: string;
}

export async function proposalPanels(ctx: WardenContext): Promise<ProposalPanel[]> {
  const listed = await recentProposals(ctx.pool);
  return Promise.all(listed.map(async (p) => ({ ...(await showProposal(ctx, p.proposalId)), approver_role: p.approverRole })));
}

export interface DashboardView {
  stamp: string;
  generatedAt: string;
  temporal: TemporalLinks;
  abps: AbpPanel[];
  endorsements: EndorsementPanel[];
  proposals: ProposalPanel[];
  provenance: { entries: ProvenanceEntry[]; verification: ChainVerification };
}

/** How long one computed view serves every open dashboard while nothing moves. */
const VIEW_REUSE_MS = 15_000;
const lastViews = new WeakMap<WardenContext, DashboardView>();

/**
 * Everything the governance dashboard shows, in one answer (refetched when the stamp moves).
 * Tabs refetching for the same change share one computation: the chain walk and the export
 * gates are the expensive part.
 */
export async function dashboardView(ctx: WardenContext): Promise<DashboardView> {
  // Taken first: a change landing while the rest is read moves the stamp again, so it is not missed.
  const stamp = await changeStamp(ctx.pool);
  const last = lastViews.get(ctx);
  if (last && last.stamp === stamp && Date.now() - Date.parse(last.generatedAt) < VIEW_REUSE_MS) return last;
  const view = await computeView(ctx, stamp);
  lastViews.set(ctx, view);
  return view;
}

async function computeView(ctx: WardenContext, stamp: string): Promise<DashboardView> {
  const abps = await listCurrent(ctx.pool);
  return {
    stamp,
    generatedAt: new Date().toISOString(),
    temporal: temporalLinks(ctx),
    abps: await Promise.all(abps.map((a) => abpPanel(ctx, a).catch((error: unknown) => failedAbpPanel(a, error)))),
    endorsements: await endorsementPanels(ctx),
    proposals: await proposalPanels(ctx),
    provenance: { entries: await listProvenance(ctx.pool, { limit: 25 }), verification: await verifyProvenanceChain(ctx.pool, ctx.provenanceKey) },
  };
}

export function dashboardStamp(ctx: WardenContext): Promise<string> {
  return changeStamp(ctx.pool);
}
