import { countdown, empty, fill, h, pill } from './dom.js';
import { approveReview, dismissReview } from './delegation.js';
import { decideAction, operatorAction } from './endorsements.js';
import { approveProposal } from './proposals.js';

const TAB_OF = { review: 'delegation', proposal: 'proposals', endorsement: 'endorsements' };

/** The buttons an item offers right here, when the view holds the object they act on. */
function itemActions(item, view, ui) {
  const button = (label, action, run, secondary = false) =>
    h('button', { type: 'button', class: secondary ? 'secondary' : '', 'data-action': action, onclick: run }, label);
  if (item.kind === 'review') {
    const review = view.abps.flatMap((a) => a.reviews).find((r) => r.reviewId === item.id);
    if (!review || review.state !== 'open') return [];
    return [
      button('Approve…', 'approve', () => approveReview(review, ui)),
      button('Dismiss…', 'dismiss', () => dismissReview(review, ui), true),
    ];
  }
  if (item.kind === 'proposal') {
    const p = view.proposals.find((x) => x.proposal_id === item.id);
    return p ? [button('Approve…', 'approve', () => approveProposal(p, ui))] : [];
  }
  const e = view.endorsements.find((x) => x.id === item.id);
  if (!e) return [];
  if (e.state === 'pending')
    return ['approve', 'stage', 'reject'].map((d) =>
      button(`${d[0].toUpperCase()}${d.slice(1)}…`, d, () => decideAction(e, d, ui), d !== 'stage'),
    );
  return ['promote', 'abort', 'extend'].map((a) =>
    button(`${a[0].toUpperCase()}${a.slice(1)}…`, a, () => operatorAction(e, a, ui), a !== 'promote'),
  );
}

/** "Waiting on me": what the signed-in principal may act on now, soonest deadline first. */
export function renderInbox(container, inbox, view, ui) {
  const c = inbox.counts;
  fill(
    container,
    h(
      'h2',
      {},
      'Waiting on me',
      h(
        'span',
        { class: 'muted small', 'data-testid': 'inbox-summary' },
        `${c.review} reviews · ${c.proposal} proposals · ${c.endorsement} endorsements`,
      ),
    ),
    inbox.items.length === 0
      ? empty('Nothing waits on you.')
      : h(
          'table',
          { class: 'inbox' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['What', 'Item', 'State', 'You may', 'Due', ''].map((t) => h('th', {}, t)),
            ),
          ),
          h(
            'tbody',
            {},
            inbox.items.map((item) =>
              h(
                'tr',
                { 'data-testid': `inbox-${item.id}`, 'data-kind': item.kind },
                h('td', {}, h('a', { href: `#${TAB_OF[item.kind]}` }, item.kind)),
                h('td', {}, ui.workflowLink(item.id), h('div', { class: 'muted small' }, item.summary)),
                h('td', {}, pill(item.state)),
                h('td', {}, item.action),
                h('td', {}, countdown(item.deadline)),
                h('td', { class: 'row-actions' }, itemActions(item, view, ui)),
              ),
            ),
          ),
        ),
  );
}

/** The number on each tab: what waits on me, and what is open in each loop. */
export function tabCounts(inbox, view) {
  const reviews = view.abps.flatMap((a) => a.reviews).filter((r) => r.state === 'open' || r.state === 'queued').length;
  return {
    inbox: inbox.counts.total,
    delegation: reviews,
    endorsements: view.endorsements.filter((e) => ['pending', 'staged', 'inconclusive'].includes(e.state)).length,
    proposals: view.proposals.filter((p) => p.state === 'awaiting_approval' || p.state === 'approved').length,
  };
}
