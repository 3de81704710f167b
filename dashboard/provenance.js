import { h, shortHash, when, fill } from './dom.js';

// Subjects whose id is also a workflow id: those entries link to the workflow in the Temporal UI.
const WORKFLOW_SUBJECTS = /^(review|endorsement|proposal):(.+)$/;

function subject(text, ui) {
  const m = WORKFLOW_SUBJECTS.exec(text);
  return m ? [`${m[1]}:`, ui.workflowLink(m[2])] : text;
}

export function renderProvenance(container, view, ui) {
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
    v.anchor &&
      h('p', { class: `chain ${v.anchor.state === 'matched' ? 'ok' : v.anchor.state === 'violated' ? 'bad' : ''}`, 'data-testid': 'anchor-status' }, `Head anchor ${v.anchor.state}: ${v.anchor.detail}`),
    h(
      'table',
      { class: 'provenance' },
      h('thead', {}, h('tr', {}, ['#', 'Recorded', 'Kind', 'Subject', 'Actor', 'Hash'].map((t) => h('th', {}, t)))),
      h(
        'tbody',
        {},
        entries.map((e) =>
          h('tr', {}, h('td', {}, String(e.seq)), h('td', {}, when(e.recordedAt)), h('td', {}, h('code', {}, e.kind)), h('td', {}, subject(e.subject, ui)), h('td', {}, e.actor ?? 'system'), h('td', {}, h('code', { title: e.contentHash }, shortHash(e.contentHash)))),
        ),
      ),
    ),
  );
}
