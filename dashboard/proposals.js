import { api, field, runAction, textInput } from './actions.js';
import { cardPanel, countdown, facts, h, pill, when } from './dom.js';
import { auditLink } from './provenance.js';

function gatesTable(gates) {
  return h(
    'table',
    { class: 'gates' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Gate', 'Observed', 'Limit', ''].map((t) => h('th', {}, t)),
      ),
    ),
    h(
      'tbody',
      {},
      gates.map((g) =>
        h(
          'tr',
          { class: g.passed ? 'ok' : 'bad' },
          h('td', {}, g.gate),
          h('td', {}, String(g.observed)),
          h('td', {}, String(g.limit)),
          h('td', {}, g.passed ? '✓' : '✗'),
        ),
      ),
    ),
  );
}

export function approveProposal(p, ui) {
  runAction({
    title: `Approve ${p.proposal_id}`,
    confirm: 'Approve',
    fields: [
      h(
        'p',
        { class: 'small' },
        `Approval needs the role ${p.approver_role}, someone other than the proposer (${p.proposer}), and an allow decision with every gate passed:`,
      ),
      p.decision ? gatesTable(p.decision.gates) : h('p', { class: 'bad' }, 'no decision recorded yet'),
      field(
        'Approval id',
        textInput('approval_id', { required: true, placeholder: 'CHG-1234' }),
        'Your change-management reference; recorded with the approval.',
      ),
    ],
    submit: (v) =>
      api('POST', `/api/v1/guard/proposals/${encodeURIComponent(p.proposal_id)}/approve`, {
        as: ui.me,
        approval_id: v.approval_id,
      }),
    onDone: () => ui.done(`Approved ${p.proposal_id}`),
  });
}

function releaseProposal(p, ui) {
  runAction({
    title: `Release ${p.proposal_id}`,
    confirm: 'Release',
    fields: [h('p', {}, 'Hands the payload to the external deployment controller. Warden never applies it itself.')],
    submit: () => api('POST', `/api/v1/guard/proposals/${encodeURIComponent(p.proposal_id)}/release`, { as: ui.me }),
    onDone: () => ui.done(`Released ${p.proposal_id}`),
  });
}

function proposalCard(p, ui) {
  const d = p.decision;
  const buttons = [];
  if (p.state === 'awaiting_approval' && ui.perms.approveProposal(p))
    buttons.push(
      h('button', { type: 'button', 'data-action': 'approve', onclick: () => approveProposal(p, ui) }, 'Approve…'),
    );
  if (p.state === 'approved' && ui.perms.releaseProposal(p))
    buttons.push(
      h('button', { type: 'button', 'data-action': 'release', onclick: () => releaseProposal(p, ui) }, 'Release…'),
    );
  const why =
    p.state === 'awaiting_approval' && !ui.perms.approveProposal(p)
      ? p.proposer === ui.me
        ? 'you proposed it: someone else approves'
        : `needs ${p.approver_role}`
      : null;
  return h(
    'article',
    { class: `proposal state-${p.state}`, 'data-testid': `proposal-${p.proposal_id}`, 'data-state': p.state },
    h(
      'header',
      {},
      ui.workflowLink(p.proposal_id),
      pill(p.state),
      d ? pill(d.decision, 'decision') : null,
      auditLink(`proposal:${p.proposal_id}`),
    ),
    facts([
      ['Type', p.proposal_type.replace(/_/g, ' ')],
      ['Policy', `${p.policy_id} (approver ${p.approver_role})`],
      ['Proposer', p.proposer],
      ['Reason', d ? d.reason : '—'],
      [
        'Risk',
        d ? `${d.risk_score.toFixed(3)} (CI ${d.confidence_low.toFixed(3)}–${d.confidence_high.toFixed(3)})` : '—',
      ],
      p.proposal_type === 'calibration_update'
        ? [
            'Threshold',
            [
              h('strong', {}, `${p.request.current_threshold} → ${p.request.candidate_threshold}`),
              ` (CI ${p.request.confidence_low}–${p.request.confidence_high})`,
            ],
          ]
        : ['Held-out', `${p.request.baseline_score} → ${p.request.heldout_score} on ${p.request.base_model_ref}`],
      ['Evidence', `${p.manifest.event_count} reviewed events · ${p.source_ref}`],
      [
        'Labels',
        Object.entries(p.manifest.label_counts ?? {})
          .map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`)
          .join(' · ') || '—',
      ],
      ['Reviewers', String(p.manifest.reviewer_ids?.length ?? 0)],
      ['Rollback', p.rollback_id],
      [
        'Approval',
        p.approval
          ? [`${p.approval.approval_id} by ${p.approval.approver} · `, when(p.approval.approved_at)]
          : p.approval_deadline
            ? ['waiting · ', countdown(p.approval_deadline)]
            : '—',
      ],
      ['Released', when(p.released_at)],
    ]),
    d ? gatesTable(d.gates) : null,
    buttons.length || why
      ? h('div', { class: 'actions' }, buttons, why ? h('span', { class: 'muted small' }, why) : null)
      : null,
  );
}

export function renderProposals(container, view, ui) {
  cardPanel(
    container,
    {
      title: 'Guard-loop proposals',
      kind: 'proposal',
      kindLabel: 'proposals in Temporal',
      items: view.proposals,
      emptyText: 'No proposals yet.',
      card: proposalCard,
    },
    ui,
  );
}
