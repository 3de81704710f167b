import { api, field, runAction, textInput } from './actions.js';
import { divergenceChart } from './chart.js';
import { cardPanel, countdown, facts, h, pill, when } from './dom.js';

const fixed = (v) => (v === null || v === undefined ? '—' : v.toFixed(3));

export function operatorAction(e, action, ui) {
  const path = `/api/v1/endorsements/${encodeURIComponent(e.id)}/${action}`;
  if (action === 'extend') {
    runAction({
      title: `Extend the cooldown of ${e.id}`,
      confirm: 'Extend',
      fields: [field('Seconds', textInput('seconds', { inputmode: 'numeric', placeholder: String(e.settings.cooldownBaseSeconds) }), 'Empty: the base cooldown.')],
      submit: (v) => api('POST', path, { as: ui.me, ...(v.seconds.trim() ? { seconds: Number(v.seconds) } : {}) }),
      onDone: () => ui.done(`Extended ${e.id}`),
    });
    return;
  }
  const fields = [field('Rationale', textInput('rationale', { 'data-testid': 'rationale' }), 'Recorded in the provenance log.')];
  if (action === 'promote') {
    fields.push(
      field(
        'Override the evidence rule',
        h('input', { name: 'override', type: 'checkbox', value: 'yes', 'data-testid': 'override' }),
        'Promote before the cooldown has passed with enough clean samples; needs a rationale and is recorded as an override.',
      ),
    );
  }
  runAction({
    title: `${action[0].toUpperCase()}${action.slice(1)} ${e.id}`,
    confirm: action === 'promote' ? 'Promote now' : 'Abort',
    fields,
    submit: (v) => api('POST', path, { as: ui.me, ...(v.rationale.trim() ? { rationale: v.rationale } : {}), ...(v.override ? { override: true } : {}) }),
    onDone: (r) => ui.done(`${e.id}: ${r.state}`),
  });
}

export function decideAction(e, decision, ui) {
  runAction({
    title: `${decision[0].toUpperCase()}${decision.slice(1)} ${e.id}`,
    fields: [field('Rationale', textInput('rationale'))],
    submit: (v) => api('POST', `/api/v1/endorsements/${encodeURIComponent(e.id)}/decide`, { as: ui.me, decision, ...(v.rationale.trim() ? { rationale: v.rationale } : {}) }),
    onDone: (r) => ui.done(`${e.id}: ${r.state}`),
  });
}

function endorsementCard(e, ui) {
  const buttons = [];
  if (ui.perms.steerEndorsement(e)) {
    if (e.state === 'staged' || e.state === 'inconclusive') {
      for (const action of ['promote', 'abort', 'extend']) {
        buttons.push(h('button', { type: 'button', class: action === 'promote' ? '' : 'secondary', 'data-action': action, onclick: () => operatorAction(e, action, ui) }, `${action[0].toUpperCase()}${action.slice(1)}…`));
      }
    }
    if (e.state === 'pending') {
      for (const decision of ['approve', 'stage', 'reject']) {
        buttons.push(h('button', { type: 'button', class: decision === 'stage' ? '' : 'secondary', 'data-action': decision, onclick: () => decideAction(e, decision, ui) }, `${decision[0].toUpperCase()}${decision.slice(1)}…`));
      }
    }
  }
  const s = e.samples;
  return h(
    'article',
    { class: `endorsement state-${e.state}`, 'data-testid': `endorsement-${e.id}`, 'data-state': e.state },
    h('header', {}, ui.workflowLink(e.id), pill(e.state)),
    h('blockquote', {}, e.ruleText),
    h(
      'div',
      { class: 'endorsement-body' },
      facts([
        ['Agent', e.agentId],
        ['Changes', e.target ? `${e.conflictKind} ${e.target}` : e.conflictKind],
        ['Samples', `${s.scored} scored / ${e.settings.minSamples} needed · ${s.pending} pending · ${s.failed} failed · ${s.critical} critical`],
        ['Divergence', `mean ${fixed(s.meanDivergence)} · max ${fixed(s.maxDivergence)}`],
        ['Time left', e.state === 'staged' ? countdown(e.deadlineAt) : '—'],
        ['Staged', when(e.stagedAt)],
        e.outcomeReason ? ['Outcome', e.outcomeReason] : null,
      ]),
      divergenceChart(e.series, e.settings.thresholds),
    ),
    buttons.length ? h('div', { class: 'actions' }, buttons) : null,
  );
}

export function renderEndorsements(container, view, ui) {
  cardPanel(
    container,
    {
      title: 'Staged endorsements',
      kind: 'endorsement',
      kindLabel: 'endorsements in Temporal',
      items: view.endorsements,
      emptyText: 'No endorsements yet. Propose a rule with `npx warden endorse <agent> "<rule>"`.',
      card: endorsementCard,
    },
    ui,
  );
}
