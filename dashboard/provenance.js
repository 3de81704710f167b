import { h, shortHash, when, fill } from './dom.js';

export function renderProvenance(container, view) {
  const { entries, verification: v } = view.provenance;
  fill(
    container,
    h('h2', {}, 'Provenance'),
    h(
      'p',
      { class: `chain ${v.ok ? 'ok' : 'bad'}`, 'data-testid': 'chain-status' },
      v.ok
        ? `✓ chain verified: ${v.entries} entries, head ${shortHash(v.head)}`
        : `✗ chain broken at entry ${v.firstBad?.seq}: ${v.firstBad?.reason} (${v.entries} entries verified before it)`,
    ),
    h(
      'table',
      { class: 'provenance' },
      h('thead', {}, h('tr', {}, ['#', 'Recorded', 'Kind', 'Subject', 'Actor', 'Hash'].map((t) => h('th', {}, t)))),
      h(
        'tbody',
        {},
        entries.map((e) =>
          h('tr', {}, h('td', {}, String(e.seq)), h('td', {}, when(e.recordedAt)), h('td', {}, h('code', {}, e.kind)), h('td', {}, e.subject), h('td', {}, e.actor ?? 'system'), h('td', {}, h('code', { title: e.contentHash }, shortHash(e.contentHash)))),
        ),
      ),
    ),
  );
}
