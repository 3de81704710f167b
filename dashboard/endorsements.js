import { api, field, runAction, textInput } from './actions.js';
import { divergenceChart, probeResults } from './chart.js';
import { cardPanel, countdown, duration, facts, h, pill, when } from './dom.js';
import { auditLink } from './provenance.js';

const fixed = (v) => (v === null || v === undefined ? '—' : v.toFixed(3));

/**
 * The evidence rule a promotion waits for, checked against what the card shows: the cooldown has
 * passed, enough samples are scored, none was critical, and their mean is below L2.
 */
export function evidenceRule(e) {
  const s = e.samples;
  const left = e.deadlineAt ? Math.max(0, Math.round((Date.parse(e.deadlineAt) - Date.now()) / 1000)) : null;
  return [
    {
      rule: 'cooldown has passed',
      met: left === 0,
      missing: left === null ? 'no cooldown running' : `${duration(left)} of cooldown left`,
    },
    {
      rule: `at least ${e.settings.minSamples} scored samples`,
      met: s.scored >= e.settings.minSamples,
      missing: `${s.scored} of ${e.settings.minSamples} scored`,
    },
    { rule: 'no critical divergence', met: s.critical === 0, missing: `${s.critical} critical` },
    {
      rule: `mean divergence below L2 (${e.settings.thresholds.l2})`,
      met: s.meanDivergence !== null && s.meanDivergence < e.settings.thresholds.l2,
      missing: s.meanDivergence === null ? 'no mean yet' : `mean ${fixed(s.meanDivergence)}`,
    },
  ];
}

const ruleList = (checks) =>
  h(
    'ul',
    { class: 'rule', 'data-testid': 'evidence-rule' },
    checks.map((c) =>
      h(
        'li',
        { class: c.met ? 'ok' : 'bad', 'data-met': String(c.met) },
        `${c.met ? '✓' : '✗'} ${c.rule}`,
        c.met ? null : h('span', { class: 'muted' }, ` — ${c.missing}`),
      ),
    ),
  );

export function operatorAction(e, action, ui) {
  const path = `/api/v1/endorsements/${encodeURIComponent(e.id)}/${action}`;
  const checks = evidenceRule(e);
  const missing = checks.filter((c) => !c.met);
  if (action === 'extend') {
    runAction({
      title: `Extend the cooldown of ${e.id}`,
      confirm: 'Extend',
      fields: [
        h('p', { class: 'small' }, 'Promotion waits for the evidence rule:'),
        ruleList(checks),
        facts([
          ['Cooldown ends', when(e.deadlineAt)],
          ['Hard cap', when(e.capAt)],
        ]),
        field(
          'Seconds',
          textInput('seconds', { inputmode: 'numeric', placeholder: String(e.settings.cooldownBaseSeconds) }),
          'Empty: the base cooldown. Never past the hard cap.',
        ),
      ],
      submit: (v) => api('POST', path, { as: ui.me, ...(v.seconds.trim() ? { seconds: Number(v.seconds) } : {}) }),
      onDone: () => ui.done(`Extended ${e.id}`),
    });
    return;
  }
  const fields = [];
  if (action === 'promote') {
    fields.push(
      h(
        'p',
        { class: 'small' },
        missing.length
          ? `The evidence rule is not met (${missing.length} of ${checks.length}): promoting now is an override.`
          : 'The evidence rule is met.',
      ),
      ruleList(checks),
    );
  }
  fields.push(
    field(
      'Rationale',
      textInput('rationale', { 'data-testid': 'rationale' }),
      action === 'promote' && missing.length
        ? 'Required for an override; recorded in the provenance log.'
        : 'Recorded in the provenance log.',
    ),
  );
  if (action === 'promote' && missing.length) {
    fields.push(
      field(
        'Override the evidence rule',
        h('input', { name: 'override', type: 'checkbox', value: 'yes', 'data-testid': 'override' }),
        'Promote before the rule above is met; needs a rationale and is recorded as an override.',
      ),
    );
  }
  runAction({
    title: `${action[0].toUpperCase()}${action.slice(1)} ${e.id}`,
    confirm: action === 'promote' ? 'Promote now' : 'Abort',
    fields,
    submit: (v) => {
      if (action === 'promote' && missing.length && !v.override)
        throw new Error(
          `Not promoted: ${missing.map((c) => c.missing).join(', ')}. Tick the override and say why, or wait.`,
        );
      if (v.override && !v.rationale.trim())
        throw new Error(
          'rationale: required with an override (say why the change is promoted before the evidence rule is met)',
        );
      return api('POST', path, {
        as: ui.me,
        ...(v.rationale.trim() ? { rationale: v.rationale } : {}),
        ...(v.override ? { override: true } : {}),
      });
    },
    onDone: (r) => ui.done(`${e.id}: ${r.state}`),
  });
}

export function decideAction(e, decision, ui) {
  runAction({
    title: `${decision[0].toUpperCase()}${decision.slice(1)} ${e.id}`,
    fields: [
      h(
        'p',
        { class: 'small' },
        {
          approve: 'Applies the rule to the kernel now, without shadow evidence.',
          stage: `Mirrors live traffic to a sandbox with the rule; promotion then waits for ${e.settings.minSamples} clean samples and the cooldown.`,
          reject: 'Drops the rule; the kernel stays as it is.',
        }[decision],
      ),
      field('Rationale', textInput('rationale')),
    ],
    submit: (v) =>
      api('POST', `/api/v1/endorsements/${encodeURIComponent(e.id)}/decide`, {
        as: ui.me,
        decision,
        ...(v.rationale.trim() ? { rationale: v.rationale } : {}),
      }),
    onDone: (r) => ui.done(`${e.id}: ${r.state}`),
  });
}

function endorsementCard(e, ui) {
  const buttons = [];
  if (ui.perms.steerEndorsement(e)) {
    if (e.state === 'staged' || e.state === 'inconclusive') {
      for (const action of ['promote', 'abort', 'extend']) {
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              class: action === 'promote' ? '' : 'secondary',
              'data-action': action,
              onclick: () => operatorAction(e, action, ui),
            },
            `${action[0].toUpperCase()}${action.slice(1)}…`,
          ),
        );
      }
    }
    if (e.state === 'pending') {
      for (const decision of ['approve', 'stage', 'reject']) {
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              class: decision === 'stage' ? '' : 'secondary',
              'data-action': decision,
              onclick: () => decideAction(e, decision, ui),
            },
            `${decision[0].toUpperCase()}${decision.slice(1)}…`,
          ),
        );
      }
    }
  }
  const s = e.samples;
  return h(
    'article',
    { class: `endorsement state-${e.state}`, 'data-testid': `endorsement-${e.id}`, 'data-state': e.state },
    h('header', {}, ui.workflowLink(e.id), pill(e.state), auditLink(`endorsement:${e.id}`)),
    h('blockquote', {}, e.ruleText),
    h(
      'div',
      { class: 'endorsement-body' },
      facts([
        ['Agent', e.agentId],
        ['Changes', e.target ? `${e.conflictKind} ${e.target}` : e.conflictKind],
        [
          'Samples',
          `${s.scored} scored / ${e.settings.minSamples} needed · ${s.pending} pending · ${s.failed} failed · ${s.critical} critical`,
        ],
        [
          'Divergence',
          `mean ${fixed(s.meanDivergence)} · max ${fixed(s.maxDivergence)} (L2 ${e.settings.thresholds.l2})`,
        ],
        [
          'Identity drift',
          h(
            'span',
            { title: "How far the sandbox answers moved from the kernel's identity (0 none, 1 all)" },
            `mean ${fixed(s.meanDrift)}`,
          ),
        ],
        ['Probes', probeResults(e.probes)],
        ['Time left', e.state === 'staged' ? countdown(e.deadlineAt) : '—'],
        ['Staged', when(e.stagedAt)],
        e.decision ? ['Decided', `${e.decision} by ${e.decidedBy ?? '—'}`] : null,
        e.outcomeReason ? ['Outcome', [e.outcomeReason, ' · ', when(e.updatedAt)]] : null,
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
