import { api } from './api.js';
import { h, shortHash, when, fill } from './dom.js';

// Subjects whose id is also a workflow id: those entries link to the workflow in the Temporal UI.
const WORKFLOW_SUBJECTS = /^(review|endorsement|proposal):(.+)$/;
const PAGE = 25;
const FIELDS = [
  ['subject', 'Subject', 'review:ABP-…DRT-001.r1'],
  ['kind', 'Kind starts with', 'review.'],
  ['actor', 'Actor', 'a principal, or system'],
  ['since', 'Since', ''],
  ['until', 'Until', ''],
];

/** The filter and page the panel shows; kept across live refreshes, set by links from loop items. */
const audit = { filter: {}, before: [], current: null, page: null, open: new Set() };

function subject(text, ui) {
  const m = WORKFLOW_SUBJECTS.exec(text);
  return m ? [`${m[1]}:`, ui.workflowLink(m[2])] : text;
}

/** A link from a loop item to its entries in this panel. */
export const auditLink = (subjectText) =>
  h(
    'a',
    {
      href: `#provenance?subject=${encodeURIComponent(subjectText)}`,
      class: 'audit-link',
      'data-testid': `audit-${subjectText}`,
    },
    'audit trail',
  );

/** `#provenance?subject=…` sets the filter (a link from a review, endorsement or proposal). */
export function filterFromHash() {
  const [tab, query] = location.hash.slice(1).split('?');
  if (tab !== 'provenance' || query === undefined) return false;
  const params = new URLSearchParams(query);
  audit.filter = Object.fromEntries(FIELDS.map(([name]) => [name, params.get(name) ?? '']).filter(([, v]) => v));
  audit.before = [];
  audit.current = null;
  for (const [name] of FIELDS) {
    const input = document.querySelector(`#audit-form [name=${name}]`);
    if (input) input.value = name === 'since' || name === 'until' ? '' : (audit.filter[name] ?? '');
  }
  return true;
}

function query() {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(audit.filter)) if (value) params.set(name, value);
  params.set('limit', String(PAGE));
  if (audit.current) params.set('before', String(audit.current));
  return `/api/v1/provenance?${params}`;
}

async function details(seq, row) {
  const e = await api('GET', `/api/v1/provenance/entries/${seq}`);
  const c = e.checks;
  const mark = (ok, yes, no) =>
    h(
      'span',
      { class: ok ? 'ok' : ok === null ? 'muted' : 'bad' },
      ok ? `✓ ${yes}` : ok === null ? 'not checked' : `✗ ${no}`,
    );
  row.after(
    h(
      'tr',
      { class: 'entry-detail', 'data-testid': `entry-detail-${seq}` },
      h(
        'td',
        { colspan: 6 },
        h(
          'div',
          { class: 'detail-checks' },
          mark(c.contentHash, 'content hash matches', 'content hash does not match'),
          ' · ',
          mark(c.signature, 'signature valid', 'signature invalid'),
          ' · ',
          mark(c.link, `linked to #${seq - 1}`, 'link broken'),
        ),
        h(
          'div',
          { class: 'small muted' },
          'hash ',
          h('code', {}, e.contentHash),
          ' · previous ',
          h('code', {}, e.prevHash),
        ),
        h('pre', { class: 'payload' }, JSON.stringify(e.payload, null, 2)),
      ),
    ),
  );
}

async function load(container, ui) {
  const table = container.querySelector('#audit-rows');
  const status = container.querySelector('#audit-status');
  try {
    const page = await api('GET', query());
    audit.page = page;
    fill(
      table,
      page.entries.length === 0
        ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No entries match.'))
        : page.entries.map((e) => {
            const row = h(
              'tr',
              {
                class: 'entry',
                'data-testid': `entry-${e.seq}`,
                'data-actor': e.actor ?? 'system',
                title: 'Show the whole entry',
              },
              h('td', {}, String(e.seq)),
              h('td', {}, when(e.recordedAt)),
              h('td', {}, h('code', {}, e.kind)),
              h('td', {}, subject(e.subject, ui)),
              h('td', {}, e.actor ?? 'system'),
              h('td', {}, h('code', { title: e.contentHash }, shortHash(e.contentHash))),
            );
            row.addEventListener('click', (event) => {
              if (event.target.closest('a')) return;
              const next = row.nextElementSibling;
              if (next?.classList.contains('entry-detail')) next.remove();
              else details(e.seq, row).catch((err) => (status.textContent = err.message));
            });
            return row;
          }),
    );
    status.textContent = `${page.entries.length} entr${page.entries.length === 1 ? 'y' : 'ies'}${audit.before.length ? `, page ${audit.before.length + 1}` : ''}`;
    container.querySelector('#audit-newer').disabled = audit.before.length === 0;
    container.querySelector('#audit-older').disabled = page.nextBefore === null;
  } catch (e) {
    status.textContent = e.message;
  }
}

function build(container, ui) {
  const toIso = (v) => (v ? new Date(v).toISOString() : '');
  const form = h(
    'form',
    { id: 'audit-form', class: 'audit-form' },
    FIELDS.map(([name, label, placeholder]) =>
      h(
        'label',
        { class: 'field' },
        h('span', {}, label),
        h('input', {
          name,
          type: name === 'since' || name === 'until' ? 'datetime-local' : 'text',
          placeholder,
          autocomplete: 'off',
          'data-testid': `audit-${name}`,
        }),
      ),
    ),
    h(
      'div',
      { class: 'audit-buttons' },
      h('button', { type: 'submit', 'data-testid': 'audit-apply' }, 'Filter'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = Object.fromEntries(new FormData(form).entries());
    audit.filter = {
      subject: v.subject.trim(),
      kind: v.kind.trim(),
      actor: v.actor.trim(),
      since: toIso(v.since),
      until: toIso(v.until),
    };
    audit.before = [];
    audit.current = null;
    load(container, ui);
  });
  form.addEventListener('reset', () => {
    audit.filter = {};
    audit.before = [];
    audit.current = null;
    setTimeout(() => load(container, ui));
  });
  const older = h(
    'button',
    { type: 'button', id: 'audit-older', class: 'secondary', 'data-testid': 'audit-older' },
    'Older →',
  );
  const newer = h('button', { type: 'button', id: 'audit-newer', class: 'secondary' }, '← Newer');
  older.onclick = () => {
    audit.before.push(audit.current);
    audit.current = audit.page.nextBefore;
    load(container, ui);
  };
  newer.onclick = () => {
    audit.current = audit.before.pop() ?? null;
    load(container, ui);
  };
  fill(
    container,
    h('h2', {}, 'Provenance'),
    h('div', { id: 'chain' }),
    form,
    h(
      'table',
      { class: 'provenance' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['#', 'Recorded', 'Kind', 'Subject', 'Actor', 'Hash'].map((t) => h('th', {}, t)),
        ),
      ),
      h('tbody', { id: 'audit-rows' }),
    ),
    h(
      'div',
      { class: 'pager' },
      newer,
      h('span', { id: 'audit-status', class: 'muted small', 'data-testid': 'audit-status' }),
      older,
    ),
  );
  container.dataset.built = 'yes';
}

/**
 * The audit trail: whether the whole chain verifies, then the entries by subject, kind, actor and
 * time, a page at a time, each opening to its payload and its own checks. The form is built once:
 * live refreshes redraw the chain status and the page shown, never what someone is typing.
 */
export function renderProvenance(container, view, ui) {
  if (!container.dataset.built) build(container, ui);
  const v = view.provenance.verification;
  fill(
    container.querySelector('#chain'),
    h(
      'p',
      { class: `chain ${v.ok ? 'ok' : 'bad'}`, 'data-testid': 'chain-status' },
      v.ok
        ? `✓ chain verified: ${v.entries} entries, head ${shortHash(v.head)}`
        : `✗ chain broken at entry ${v.firstBad?.seq}: ${v.firstBad?.reason} (${v.entries} entries verified before it)`,
    ),
    v.anchor &&
      h(
        'p',
        {
          class: `chain ${v.anchor.state === 'matched' ? 'ok' : v.anchor.state === 'violated' ? 'bad' : ''}`,
          'data-testid': 'anchor-status',
        },
        `Head anchor ${v.anchor.state}: ${v.anchor.detail}`,
      ),
  );
  // New entries matter on the first page only; an older page stays as it is while someone reads it.
  if (audit.current === null || !audit.page) load(container, ui);
}

export function resetProvenancePanel() {
  audit.filter = {};
  audit.before = [];
  audit.current = null;
  audit.page = null;
}
