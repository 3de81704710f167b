import { api, ApiError, session } from './api.js';
import { h, tickCountdowns } from './dom.js';
import { renderDelegation } from './delegation.js';
import { renderEndorsements } from './endorsements.js';
import { renderInbox, tabCounts } from './inbox.js';
import { permissions } from './permissions.js';
import { renderProposals } from './proposals.js';
import { filterFromHash, renderProvenance, resetProvenancePanel } from './provenance.js';

/*
 * Live updates: the page asks GET /api/v1/dashboard/stamp every 2 s and refetches the whole view
 * only when the stamp moved. Polling rather than Server-Sent Events on purpose: EventSource cannot
 * send the Authorization header, and putting the bearer token in a URL leaks it into server logs,
 * proxies and history; the API answers one JSON document per request, and a 2 s poll of one cheap
 * query per open tab costs less than holding a stream open per tab.
 */
const POLL_MS = 2000;
// Trigger windows slide and timers fire without any write; a full refetch now and then shows that.
const FULL_REFRESH_MS = 60_000;
const $ = (id) => document.getElementById(id);

const state = { me: null, view: null, inbox: null, stamp: null, fetchedAt: 0, timer: null, polling: null, failures: 0 };

function toast(message, kind = 'info') {
  const el = $('toast');
  el.textContent = message;
  el.className = `toast toast-${kind}`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 5000);
}

function showSignIn(message = '') {
  stopPolling();
  $('signin').hidden = false;
  $('board').hidden = true;
  $('tabs').hidden = true;
  $('session').replaceChildren();
  $('signin-error').textContent = message;
  $('token').value = '';
  $('token').focus();
}

function signOut(message) {
  session.clear();
  state.me = null;
  state.view = null;
  state.inbox = null;
  state.stamp = null;
  for (const el of document.querySelectorAll('[data-count]')) el.textContent = '';
  // Nothing a signed-out tab shows should still hold what the last principal saw.
  for (const panel of document.querySelectorAll('[data-panel]')) {
    panel.replaceChildren();
    delete panel.dataset.built;
  }
  resetProvenancePanel();
  showSignIn(message);
}

function temporalUi(view) {
  const t = view.temporal;
  const workflowLink = (id, label = id) =>
    h(
      'a',
      {
        href: `${t.workflowsUrl}/${encodeURIComponent(id)}`,
        target: '_blank',
        rel: 'noopener',
        class: 'wf',
        title: 'Open in the Temporal UI',
      },
      label,
    );
  const queryLink = (query, label, testid) =>
    h(
      'a',
      {
        href: `${t.workflowsUrl}?query=${encodeURIComponent(query)}`,
        target: '_blank',
        rel: 'noopener',
        class: 'kind-link',
        'data-testid': testid,
      },
      label,
    );
  const kindLink = (kind, label) => queryLink(`WardenKind="${kind}"`, label, `kind-link-${kind}`);
  return { workflowLink, queryLink, kindLink };
}

function uiFor(view) {
  return {
    me: state.me.name,
    perms: permissions(state.me),
    ...temporalUi(view),
    done(message) {
      toast(message, 'ok');
      refresh(true);
    },
    async act(run, message) {
      try {
        await run();
        this.done(message);
      } catch (e) {
        toast(e.message, 'error');
      }
    },
  };
}

function render(view, inbox) {
  const ui = uiFor(view);
  const open = new Set([...document.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
  renderInbox($('panel-inbox'), inbox, view, ui);
  const counts = tabCounts(inbox, view);
  for (const el of document.querySelectorAll('[data-count]')) {
    const n = counts[el.dataset.count] ?? 0;
    el.textContent = String(n);
    el.classList.toggle('zero', n === 0);
  }
  renderDelegation($('panel-delegation'), view, ui);
  renderEndorsements($('panel-endorsements'), view, ui);
  renderProposals($('panel-proposals'), view, ui);
  renderProvenance($('panel-provenance'), view, ui);
  for (const d of document.querySelectorAll('details[data-key]')) if (open.has(d.dataset.key)) d.open = true;
  $('kind-links').replaceChildren(
    h(
      'span',
      {},
      'Temporal UI by WardenKind:',
      ['endorsement', 'review', 'proposal', 'monitor', 'notification'].map((k) => [' ', ui.kindLink(k, k)]),
    ),
  );
  showTab();
}

function setLive(ok, text) {
  const el = $('live');
  el.className = ok ? 'live ok' : 'live bad';
  el.textContent = text;
}

async function refresh(force = false) {
  try {
    const { stamp } = await api('GET', '/api/v1/dashboard/stamp');
    const stale = state.view && Date.now() - state.fetchedAt > FULL_REFRESH_MS;
    if (force || stale || stamp !== state.stamp || !state.view) {
      // The view is the same for everyone; the inbox is the signed-in principal's own.
      const [view, inbox] = await Promise.all([api('GET', '/api/v1/dashboard'), api('GET', '/api/v1/inbox')]);
      state.view = view;
      state.inbox = inbox;
      state.stamp = view.stamp;
      state.fetchedAt = Date.now();
      render(view, inbox);
    }
    state.failures = 0;
    setLive(true, `live · updated ${new Date(state.view.generatedAt).toLocaleTimeString()}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signOut(`Signed out: ${e.message}`);
    state.failures += 1;
    setLive(false, `connection problem (${e.message}); retrying`);
  }
}

function stopPolling() {
  clearInterval(state.timer);
  state.timer = null;
}

function startPolling() {
  stopPolling();
  state.timer = setInterval(() => {
    tickCountdowns();
    // A poll still waiting (a slow view) is not joined by another asking the same thing.
    if (!state.polling && Date.now() - (startPolling.last ?? 0) >= POLL_MS) {
      startPolling.last = Date.now();
      state.polling = refresh().finally(() => (state.polling = null));
    }
  }, 1000);
}

function showTab() {
  const tab = (location.hash || '#inbox').slice(1).split('?')[0];
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== tab;
  for (const link of document.querySelectorAll('[data-tab]')) link.classList.toggle('active', link.dataset.tab === tab);
}

async function enter(token) {
  const { principal } = await api('GET', '/api/v1/me', undefined, token);
  session.set(token);
  state.me = principal;
  $('signin').hidden = true;
  $('board').hidden = false;
  $('tabs').hidden = false;
  $('session').replaceChildren(
    h('span', { class: 'who', 'data-testid': 'principal' }, principal.name),
    h('span', { class: 'roles' }, principal.roles.join(', ') || 'no roles'),
    h(
      'button',
      { type: 'button', class: 'secondary', id: 'signout', onclick: () => signOut('Signed out.') },
      'Sign out',
    ),
  );
  filterFromHash();
  await refresh(true);
  startPolling();
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = $('token').value.trim();
  try {
    await enter(token);
  } catch (e) {
    $('signin-error').textContent =
      e instanceof ApiError && e.status === 401 ? `Not signed in: ${e.message}` : e.message;
  }
});
window.addEventListener('hashchange', () => {
  // A link from a loop item to its audit trail carries the filter in the address.
  if (filterFromHash() && state.view) render(state.view, state.inbox);
  showTab();
});

if (session.token) enter(session.token).catch((e) => signOut(e.message));
else showSignIn();
