import { requirePrincipal } from '../db/access/principals';
import { listReviews, type ReviewRow } from '../db/delegation/reviews';
import { listVotes } from '../db/delegation/review-votes';
import { listEndorsements, type EndorsementRecord } from '../db/endorsement/endorsements';
import { ADMIN_ROLE } from '../domain/authorization';
import { OPEN_STATES } from '../domain/endorsement/states';
import type { WardenContext } from './context';
import { listProposals, type ProposalListItem } from './guard';

export type InboxKind = 'review' | 'proposal' | 'endorsement';

/** One thing waiting on a principal: what it is, what they may do with it, and by when. */
export interface InboxItem {
  kind: InboxKind;
  id: string;
  state: string;
  /** The actions the principal's roles allow on it now, as a person reads them. */
  action: string;
  summary: string;
  /** When it stops waiting (review timeout, approval deadline, cooldown end, decision timeout); null when it never does. */
  deadline: string | null;
}

export interface Inbox {
  principal: string;
  items: InboxItem[];
  counts: Record<InboxKind, number> & { total: number };
}

/** The inbox looks at this many open proposals at most; more than that is a queue no one reads here. */
const PROPOSAL_SCAN = 200;

const plusMs = (iso: string | null, ms: number | null): string | null =>
  iso === null || ms === null ? null : new Date(Date.parse(iso) + ms).toISOString();

/**
 * Open reviews whose approver role the principal holds and has not voted on; queued ones they may
 * open (the approver role, or admin, as `review open` requires). Votes are counted from the
 * database, so a vote leaves the inbox as soon as it is recorded.
 */
async function reviewItems(ctx: WardenContext, name: string, roles: Set<string>): Promise<InboxItem[]> {
  const [open, queued] = await Promise.all([
    listReviews(ctx.pool, { state: 'open' }),
    listReviews(ctx.pool, { state: 'queued' }),
  ]);
  const mine = (r: ReviewRow) => roles.has(r.policy.approver_role);
  const items: InboxItem[] = [];
  for (const r of open.filter(mine)) {
    const votes = await listVotes(ctx.pool, r.reviewId);
    if (votes.some((v) => v.principal === name)) continue;
    const approvals = votes.filter((v) => v.decision === 'approve').length;
    items.push({
      kind: 'review',
      id: r.reviewId,
      state: r.state,
      action: 'approve or dismiss',
      summary: `${r.abpId} ${r.triggerId} (${r.severity}) · ${approvals}/${r.policy.threshold} approvals`,
      deadline: plusMs(r.openedAt ?? r.queuedAt, r.policy.timeout_ms),
    });
  }
  for (const r of queued.filter((q) => mine(q) || roles.has(ADMIN_ROLE))) {
    items.push({
      kind: 'review',
      id: r.reviewId,
      state: r.state,
      action: 'open',
      summary: `${r.abpId} ${r.triggerId} (${r.severity}) · queued by its trigger`,
      deadline: null,
    });
  }
  return items;
}

/** Allowed proposals awaiting an approval the principal may give: the policy's role, never their own. */
function proposalItems(proposals: ProposalListItem[], name: string, roles: Set<string>): InboxItem[] {
  return proposals
    .filter((p) => roles.has(p.approver_role) && p.proposer !== name)
    .map((p) => ({
      kind: 'proposal',
      id: p.proposal_id,
      state: p.state,
      action: 'approve',
      summary: `${p.proposal_type.replace(/_/g, ' ')} under ${p.policy_id}, proposed by ${p.proposer}`,
      deadline: p.approval_deadline,
    }));
}

/** Pending endorsements to decide and staged ones to watch, of agents whose operator role the principal holds. */
function endorsementItems(open: EndorsementRecord[], roles: Set<string>): InboxItem[] {
  return open
    .filter((e) => roles.has(e.settings.operatorRole))
    .map((e) => ({
      kind: 'endorsement',
      id: e.id,
      state: e.state,
      action: e.state === 'pending' ? 'decide: approve, stage or reject' : 'promote, abort or extend',
      summary: `${e.agentId}: "${e.ruleText}"${e.target ? ` (changes ${e.target})` : ''}`,
      deadline: e.state === 'pending' ? plusMs(e.createdAt, e.settings.decisionTimeoutSeconds * 1000) : e.deadlineAt,
    }));
}

/** `warden inbox` and the dashboard's "Waiting on me": everything the principal may act on now, soonest deadline first. */
export async function inbox(ctx: WardenContext, principal: string): Promise<Inbox> {
  const me = await requirePrincipal(ctx.pool, principal);
  const roles = new Set(me.roles);
  const [reviews, proposals, endorsements] = await Promise.all([
    reviewItems(ctx, me.name, roles),
    listProposals(ctx, { state: 'awaiting_approval', limit: PROPOSAL_SCAN }),
    listEndorsements(ctx.pool, { states: OPEN_STATES, limit: 1000 }),
  ]);
  const items = [
    ...reviews,
    ...proposalItems(proposals, me.name, roles),
    ...endorsementItems(endorsements, roles),
  ].sort((a, b) => (a.deadline ?? '9999').localeCompare(b.deadline ?? '9999') || a.id.localeCompare(b.id));
  const count = (kind: InboxKind) => items.filter((i) => i.kind === kind).length;
  return {
    principal: me.name,
    items,
    counts: {
      review: count('review'),
      proposal: count('proposal'),
      endorsement: count('endorsement'),
      total: items.length,
    },
  };
}
