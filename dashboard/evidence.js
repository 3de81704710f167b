import { api } from './api.js';
import { h, shortHash, when } from './dom.js';

const shown = (v) => (v === undefined ? '' : JSON.stringify(v));
const enc = encodeURIComponent;

/** A JSON diff (the approval dry run's and the version diff's), one line per changed field. */
export function diffList(changes) {
  return h(
    'ul',
    { class: 'diff', 'data-testid': 'diff' },
    changes.map((c) =>
      h(
        'li',
        { class: `diff-${c.op}`, 'data-path': c.path },
        h('code', {}, c.path),
        ' ',
        c.op === 'added'
          ? `+ ${shown(c.after)}`
          : c.op === 'removed'
            ? `− ${shown(c.before)}`
            : `${shown(c.before)} → ${shown(c.after)}`,
      ),
    ),
  );
}

// What was loaded into an open panel, by its key: a refresh rebuilds the panels and shows it again.
const loaded = new Map();

/**
 * A <details> that loads its content when opened (and again when a refresh re-opens it), showing
 * what it last loaded meanwhile. `load(state)` fetches; `render(data, reload)` draws, and may call
 * `reload(state)` (e.g. another page).
 */
function lazyDetails(key, summary, load, render, attrs = {}) {
  const body = h('div', { class: 'lazy-body' });
  const draw = (entry) => body.replaceChildren(render(entry.data, reload));
  async function reload(state) {
    try {
      const data = await load(state);
      const entry = { state, data };
      loaded.set(key, entry);
      draw(entry);
    } catch (e) {
      body.replaceChildren(h('span', { class: 'bad small' }, e.message));
    }
  }
  const cached = loaded.get(key);
  if (cached) draw(cached);
  else body.append(h('span', { class: 'muted small' }, 'loading…'));
  const details = h('details', { class: 'lazy', 'data-key': key, ...attrs }, h('summary', {}, summary), body);
  details.addEventListener('toggle', () => {
    if (details.open) reload(loaded.get(key)?.state);
  });
  return details;
}

const EVIDENCE_COLUMNS = {
  drift_signal: ['Observed', 'Signal', 'Fingerprint (in scope)', 'Type', 'Severity'],
  blocked_action: ['Blocked', 'Check', 'Stage', 'Agent', 'Tool', 'Objective'],
  coherence_run: ['Observed', 'Run', 'Score'],
  expired_claim: ['Expired', 'Claim', 'Observed'],
};

function evidenceCells(row) {
  switch (row.kind) {
    case 'drift_signal':
      return [row.id, `${row.fingerprintKey} (${row.keyCount})`, row.type, row.severity];
    case 'blocked_action':
      return [row.id, row.stage, row.agentId ?? '—', row.tool ?? '—', row.objective ?? '—'];
    case 'coherence_run':
      return [row.id, String(row.score)];
    case 'expired_claim':
      return [row.id, row.observedAt ? when(row.observedAt) : '—'];
  }
  return [row.id];
}

const ROW_KIND = {
  recurring_fingerprint: 'drift_signal',
  blocked_actions: 'blocked_action',
  coherence_drop: 'coherence_run',
  expired_claims: 'expired_claim',
};
const PAGE = 10;

function evidenceView(e, reload) {
  const columns = EVIDENCE_COLUMNS[ROW_KIND[e.kind]] ?? ['When', 'Id'];
  const last = e.offset + e.rows.length;
  return h(
    'div',
    { class: 'evidence', 'data-testid': 'evidence', 'data-total': e.total },
    h(
      'p',
      { class: 'muted small' },
      `${e.triggerId} ${e.triggerName.replace(/_/g, ' ')} counted ${e.kind.replace(/_/g, ' ')} from `,
      e.scope.from ? when(e.scope.from) : 'the start',
      ' to ',
      when(e.scope.to),
      e.scope.since ? [' (after the review concluded ', when(e.scope.since), ')'] : null,
      e.reading ? ` · reading ${e.reading.current} against ${e.reading.threshold}` : null,
      ` · opened on ${shortHash(e.abpHash)}`,
    ),
    e.rows.length === 0
      ? h('p', { class: 'empty' }, 'No evidence rows in that scope.')
      : h(
          'table',
          { class: 'evidence-rows' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              columns.map((c) => h('th', {}, c)),
            ),
          ),
          h(
            'tbody',
            {},
            e.rows.map((r) =>
              h(
                'tr',
                { 'data-testid': 'evidence-row', 'data-id': r.id, 'data-kind': r.kind },
                h('td', {}, when(r.at)),
                evidenceCells(r).map((c) => h('td', {}, c)),
              ),
            ),
          ),
        ),
    h(
      'p',
      { class: 'pager small' },
      h('span', { 'data-testid': 'evidence-range' }, `${e.rows.length ? e.offset + 1 : 0}–${last} of ${e.total}`),
      ' ',
      e.offset > 0
        ? h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              'data-action': 'newer',
              onclick: () => reload({ offset: Math.max(0, e.offset - PAGE) }),
            },
            '← newer',
          )
        : null,
      last < e.total
        ? h(
            'button',
            { type: 'button', class: 'secondary', 'data-action': 'older', onclick: () => reload({ offset: last }) },
            'older →',
          )
        : null,
    ),
  );
}

/** The evidence rows behind a review's trigger, newest first, ten at a time. */
export function reviewEvidencePanel(review) {
  return lazyDetails(
    `evidence-${review.reviewId}`,
    'Evidence behind it',
    (state) =>
      api('GET', `/api/v1/reviews/${enc(review.reviewId)}/evidence?limit=${PAGE}&offset=${state?.offset ?? 0}`),
    evidenceView,
    { 'data-testid': `review-evidence-${review.reviewId}` },
  );
}

const sideName = (s) => `${s.abpId}${s.number ? ` v${s.number}` : ''} ${shortHash(s.hash)}`;

function versionDiffView(d) {
  return h(
    'div',
    { class: 'version-diff', 'data-testid': 'version-diff', 'data-from': d.from.number, 'data-to': d.to.number },
    h(
      'p',
      { class: 'small' },
      h('code', { title: d.from.hash }, sideName(d.from)),
      ' → ',
      h('code', { title: d.to.hash }, sideName(d.to)),
    ),
    d.diff.length ? diffList(d.diff) : h('p', { class: 'muted small' }, 'No difference.'),
  );
}

/** A review's version diff: the version it was opened on against the one it applied (or the current one). */
export function reviewDiffPanel(review) {
  return lazyDetails(
    `review-diff-${review.reviewId}`,
    'Version diff',
    () => api('GET', `/api/v1/reviews/${enc(review.reviewId)}/diff`),
    versionDiffView,
    { 'data-testid': `review-diff-${review.reviewId}` },
  );
}

const versionDiffs = new Map();

/**
 * Any two versions of an ABP by number: a "from" and a "to" and a Diff button; each history row's
 * "diff" button fills them with the version before it and it. The last diff stays across refreshes.
 */
export function versionDiffPicker(abp) {
  const numbers = abp.history.map((v) => v.number).sort((a, b) => a - b);
  const newest = numbers.at(-1) ?? 1;
  const last = versionDiffs.get(abp.abpId);
  const select = (name, value) =>
    h(
      'select',
      { name, 'data-testid': `diff-${name}` },
      numbers.map((n) => h('option', { value: n, selected: n === value }, `v${n}`)),
    );
  const from = select('from', last?.from ?? Math.max(1, newest - 1));
  const to = select('to', last?.to ?? newest);
  const out = h('div', {}, last ? versionDiffView(last.data) : null);
  async function show(fromN, toN) {
    const [f, t] = [Number(fromN), Number(toN)];
    from.value = String(f);
    to.value = String(t);
    try {
      const data = await api('GET', `/api/v1/abps/${enc(abp.abpId)}/diff?from=${f}&to=${t}`);
      versionDiffs.set(abp.abpId, { from: f, to: t, data });
      out.replaceChildren(versionDiffView(data));
    } catch (e) {
      out.replaceChildren(h('span', { class: 'bad small' }, e.message));
    }
  }
  const picker = h(
    'div',
    { class: 'diff-picker' },
    h('span', { class: 'muted small' }, 'Compare '),
    from,
    ' → ',
    to,
    ' ',
    h(
      'button',
      { type: 'button', class: 'secondary', 'data-action': 'diff', onclick: () => show(from.value, to.value) },
      'Diff',
    ),
    out,
  );
  /** The button of one history row: the version before it against it. */
  const rowButton = (n) =>
    n > 1
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            'data-action': 'diff-version',
            'data-version': n,
            onclick: () => show(n - 1, n),
          },
          `diff v${n - 1}→v${n}`,
        )
      : h('span', { class: 'muted small' }, 'first');
  return { picker, rowButton };
}
