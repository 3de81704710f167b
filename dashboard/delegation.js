import { api, field, parseJson, runAction, select, StayOpen, textArea, textInput } from './actions.js';
import { countdown, empty, h, pill, shortHash, when, fill } from './dom.js';
import { auditLink } from './provenance.js';
import { diffList, reviewDiffPanel, reviewEvidencePanel, versionDiffPicker } from './evidence.js';

const OUTPUT_KINDS = ['abp_patch', 'abp_replace', 'abp_revoke'];

function triggerCard(card, ui) {
  const windowText =
    card.windowDays === null ? 'no window' : `last ${card.windowDays} day${card.windowDays === 1 ? '' : 's'}`;
  return h(
    'article',
    {
      class: `trigger-card state-${card.state}`,
      'data-testid': `trigger-${card.abpId}-${card.triggerId}`,
      'data-state': card.state,
    },
    h('header', {}, h('strong', {}, card.triggerId), pill(card.state)),
    h('p', { class: 'trigger-name' }, card.name.replace(/_/g, ' ')),
    h(
      'div',
      {
        class: 'progress',
        role: 'progressbar',
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': card.progress,
        title: `${card.progress}% of the threshold`,
      },
      h('div', { class: 'bar', style: `width: ${Math.max(0, Math.min(100, card.progress))}%` }),
    ),
    h(
      'p',
      { class: 'count' },
      h('span', { class: 'current', 'data-testid': 'count' }, String(card.current)),
      ` / ${card.threshold} `,
      h('span', { class: 'muted' }, `(trips at ${card.comparator} ${card.threshold}) · ${windowText}`),
    ),
    h(
      'p',
      { class: 'muted small' },
      `${card.kind.replace(/_/g, ' ')} · ${card.severity}${card.autoOpen ? ' · auto-opens' : ' · queues'}`,
      card.countingSince ? [' · counting since ', when(card.countingSince)] : null,
    ),
    card.activeReview
      ? h(
          'p',
          { class: 'active-review' },
          'Review ',
          ui.workflowLink(card.activeReview.reviewId),
          ' ',
          pill(card.activeReview.state),
        )
      : h('p', { class: 'muted small' }, 'no active review'),
  );
}

/** The dry run's answer: the ABP diff, the new hash, the export gates, or the problems by field. */
function dryRunView(r) {
  const gates = r.exports.flatMap((e) => e.gates.map((g) => ({ ...g, exportId: e.exportId })));
  return h(
    'div',
    { class: `dry-run ${r.ok ? 'ok' : 'bad'}`, 'data-testid': 'dry-run', 'data-ok': String(r.ok) },
    h(
      'p',
      {},
      h('strong', {}, r.ok ? 'Would apply' : 'Would not apply'),
      r.next
        ? [
            ' → ',
            h(
              'code',
              { 'data-testid': 'next-hash', title: r.next.abpHash },
              `${r.next.abpId} ${shortHash(r.next.abpHash)}`,
            ),
            ` (${r.next.status})`,
          ]
        : null,
    ),
    r.diff.length
      ? diffList(r.diff)
      : r.ok
        ? h(
            'p',
            { class: 'muted small' },
            r.outputKind === 'abp_revoke'
              ? 'Revokes the ABP: every export is re-stamped as revoked.'
              : 'No change to the spec.',
          )
        : null,
    gates.length
      ? h(
          'ul',
          { class: 'checks' },
          gates.map((g) =>
            h('li', { class: g.passed ? 'ok' : 'bad' }, `${g.passed ? '✓' : '✗'} ${g.exportId}: ${g.gate}`),
          ),
        )
      : null,
    r.issues.length
      ? h(
          'ul',
          { class: 'issues', 'data-testid': 'approve-issues' },
          r.issues.map((i) => h('li', { class: 'bad', 'data-field': i.field }, h('code', {}, i.field), ' ', i.message)),
        )
      : null,
  );
}

/**
 * Approving a review: the current ABP beside the editor, and a dry run (nothing recorded) of what
 * the output would do before any vote: the first press previews, the second, on the same output,
 * votes. An output that would not apply is shown with its problems by field, and the review stays open.
 */
export function approveReview(review, ui) {
  const kind = select('output_kind', OUTPUT_KINDS, review.policy.output);
  const current = h('pre', { class: 'current-abp', 'data-testid': 'current-abp' }, 'loading the current ABP…');
  const preview = h('div', { class: 'preview' });
  api('GET', `/api/v1/abps/${encodeURIComponent(review.abpId)}`)
    .then((v) => {
      const { hash: _hash, abp_id: _id, ...spec } = v.abp;
      current.textContent = JSON.stringify(spec, null, 2);
    })
    .catch((e) => (current.textContent = `could not load the ABP: ${e.message}`));
  const document = textArea('document', {
    rows: 10,
    placeholder: 'abp_patch: a JSON Merge Patch of the spec on the left, e.g. {"tools": {"deny": […]}}',
    'data-testid': 'approve-document',
  });
  let previewed = null;
  const body = (v) => {
    const doc =
      v.output_kind === 'abp_revoke' || v.document.trim() === '' ? undefined : parseJson(v.document, 'document');
    return { as: ui.me, output_kind: v.output_kind, document: doc, reason: v.reason };
  };
  const path = `/api/v1/reviews/${encodeURIComponent(review.reviewId)}/approve`;
  runAction({
    title: `Approve ${review.reviewId}`,
    confirm: 'Preview',
    wide: true,
    fields: [
      h(
        'div',
        { class: 'approve-layout' },
        h(
          'div',
          { class: 'approve-current' },
          h('span', { class: 'muted small' }, `Current ABP ${review.abpId}`),
          current,
        ),
        h(
          'div',
          { class: 'approve-edit' },
          field('Output', kind, `The review policy asks for ${review.policy.output}.`),
          field(
            'Document (JSON)',
            document,
            'abp_patch: a JSON Merge Patch of the spec; abp_replace: a whole spec; abp_revoke: leave empty.',
          ),
          field('Reason', textInput('reason', { required: true, 'data-testid': 'approve-reason' })),
          preview,
        ),
      ),
    ],
    submit: async (v, dialog) => {
      const b = body(v);
      const key = JSON.stringify([b.output_kind, b.document ?? null, b.output_kind === 'abp_revoke' ? b.reason : null]);
      if (!previewed || previewed.key !== key || !previewed.ok) {
        const r = await api('POST', `${path}?dry_run=true`, { ...b, reason: b.reason || undefined });
        preview.replaceChildren(dryRunView(r));
        previewed = { key, ok: r.ok };
        if (!r.ok) {
          dialog.setConfirm('Preview');
          throw new Error(
            `The output would not apply (${r.issues.length} problem${r.issues.length === 1 ? '' : 's'} below); the review stays open.`,
          );
        }
        dialog.setConfirm('Approve');
        throw new StayOpen('Check the change above. Press Approve to record your vote for exactly this output.');
      }
      return api('POST', path, b);
    },
    onDone: (r) =>
      ui.done(
        r.decided
          ? `${review.reviewId}: threshold reached, applying the output`
          : `Approval recorded (${r.approvals}/${r.threshold})`,
      ),
  });
  // Any edit after a preview needs a new one before the vote.
  for (const input of [kind, document])
    input.addEventListener(
      'input',
      () => (document.closest('form').querySelector('#action-submit').textContent = 'Preview'),
    );
}

export function dismissReview(review, ui) {
  runAction({
    title: `Dismiss ${review.reviewId}`,
    confirm: 'Dismiss',
    fields: [field('Reason', textInput('reason', { required: true }))],
    submit: (v) =>
      api('POST', `/api/v1/reviews/${encodeURIComponent(review.reviewId)}/dismiss`, { as: ui.me, reason: v.reason }),
    onDone: () => ui.done(`Dismiss vote recorded for ${review.reviewId}`),
  });
}

function reviewRow(review, ui) {
  // Open reviews count their stored approvals (a review may have no workflow yet: it gets one at its
  // first vote or near its deadline); concluded ones show the outcome they recorded.
  const approvers =
    review.state === 'open'
      ? review.votes.filter((v) => v.decision === 'approve').length
      : (review.outcome?.approvers?.length ?? (review.state === 'queued' ? 0 : null));
  const approvals = approvers === null ? '—' : `${approvers} / ${review.policy.threshold}`;
  const dormant = review.state === 'open' && !review.workflowStarted;
  const buttons = [];
  if (review.state === 'open' && ui.perms.voteOnReview(review)) {
    buttons.push(
      h('button', { type: 'button', 'data-action': 'approve', onclick: () => approveReview(review, ui) }, 'Approve…'),
    );
    buttons.push(
      h(
        'button',
        { type: 'button', class: 'secondary', 'data-action': 'dismiss', onclick: () => dismissReview(review, ui) },
        'Dismiss…',
      ),
    );
  }
  if (review.state === 'queued' && ui.perms.openReview(review)) {
    buttons.push(
      h(
        'button',
        {
          type: 'button',
          'data-action': 'open',
          onclick: () =>
            ui.act(
              () => api('POST', '/api/v1/reviews', { abp_id: review.abpId, trigger_id: review.triggerId, as: ui.me }),
              `Opened a review of ${review.triggerId}`,
            ),
        },
        'Open review',
      ),
    );
  }
  return [
    h(
      'tr',
      { 'data-testid': `review-${review.reviewId}`, 'data-state': review.state },
      h('td', {}, review.workflowStarted ? ui.workflowLink(review.reviewId) : review.reviewId),
      h(
        'td',
        {},
        review.triggerId,
        ' ',
        h('span', { class: `sev sev-${review.severity}` }, review.severity),
        // The evidence that opened it: the trigger's reading at that moment.
        review.reading
          ? h(
              'div',
              { class: 'muted small', 'data-testid': 'review-reading' },
              `opened at ${review.reading.current} against threshold ${review.reading.threshold}`,
            )
          : null,
      ),
      h(
        'td',
        {},
        pill(review.state),
        dormant ? h('div', { class: 'muted small', 'data-testid': 'no-workflow' }, '(no workflow yet)') : null,
      ),
      h('td', {}, approvals, h('div', { class: 'muted small' }, `role ${review.policy.approver_role}`)),
      h('td', {}, review.state === 'open' ? countdown(review.deadline) : when(review.concludedAt ?? review.queuedAt)),
      h(
        'td',
        { class: 'row-actions' },
        buttons.length
          ? buttons
          : h(
              'span',
              { class: 'muted small' },
              review.state === 'open' || review.state === 'queued' ? `needs ${review.policy.approver_role}` : '',
            ),
        ' ',
        auditLink(`review:${review.reviewId}`),
      ),
    ),
    concludedRow(review),
    h(
      'tr',
      { class: 'review-evidence' },
      h('td', { colspan: 6 }, reviewEvidencePanel(review), reviewDiffPanel(review)),
    ),
  ];
}

/** Who concluded a review, when, why and with which output: from its votes and its recorded outcome. */
function concludedRow(review) {
  if (review.state === 'open' || review.state === 'queued') return null;
  const outcome = review.outcome ?? {};
  const deciding = review.votes.filter((v) =>
    review.state === 'dismissed'
      ? v.decision === 'dismiss'
      : v.decision === 'approve' && (!outcome.outputHash || v.outputHash === outcome.outputHash),
  );
  const who =
    review.state === 'timed_out'
      ? 'no decision before the deadline'
      : deciding.map((v) => v.principal).join(', ') || '—';
  return h(
    'tr',
    { class: 'concluded', 'data-testid': `concluded-${review.reviewId}` },
    h(
      'td',
      { colspan: 6 },
      h('span', { class: 'muted' }, `${review.state.replace(/_/g, ' ')} `),
      when(review.concludedAt),
      ` · by ${who}`,
      deciding.length ? [' · why: ', deciding.map((v) => `“${v.reason}”`).join('; ')] : null,
      outcome.outputKind
        ? [
            ' · output ',
            h('code', { title: outcome.outputHash }, `${outcome.outputKind} ${shortHash(outcome.outputHash)}`),
          ]
        : null,
      outcome.next
        ? [
            ' → ',
            h('code', { title: outcome.next.abpHash }, `${outcome.next.abpId} ${shortHash(outcome.next.abpHash)}`),
          ]
        : null,
      outcome.failure?.length ? h('div', { class: 'bad small' }, outcome.failure.join('; ')) : null,
    ),
  );
}

function gateSummary(gates) {
  if (!gates) return h('span', { class: 'muted' }, 'not recorded');
  if (gates.length === 0) return h('span', { class: 'muted' }, 'no exports');
  const failed = gates.filter((g) => !g.passed);
  return failed.length === 0
    ? h('span', { class: 'ok', title: gates.map((g) => g.gate).join(', ') }, `✓ ${gates.length} passed`)
    : h(
        'span',
        { class: 'bad', title: failed.map((g) => `${g.gate}: ${g.detail}`).join('\n') },
        `✗ ${failed.map((g) => g.gate).join(', ')}`,
      );
}

function history(abp) {
  const diffs = versionDiffPicker(abp);
  return h(
    'details',
    { class: 'history', 'data-key': `history-${abp.abpId}` },
    h(
      'summary',
      {},
      `Version history (${abp.history.length})`,
      ' · ',
      abp.verification.ok ? h('span', { class: 'ok' }, 'verified') : h('span', { class: 'bad' }, 'verification failed'),
    ),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['#', 'Recorded', 'Source', 'Hash', 'Review', 'Export gates', 'Diff'].map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        abp.history.map((v) =>
          h(
            'tr',
            { class: v.current ? 'current' : '', 'data-version': v.number },
            h('td', {}, `v${v.number}`),
            h('td', {}, when(v.recordedAt)),
            h('td', {}, v.source, v.current ? h('span', { class: 'tag' }, 'current') : null),
            h('td', {}, h('code', { title: v.hash }, shortHash(v.hash))),
            h('td', {}, v.reviewId ?? '—'),
            h('td', {}, gateSummary(v.gates)),
            h('td', {}, diffs.rowButton(v.number)),
          ),
        ),
      ),
    ),
    diffs.picker,
    h(
      'ul',
      { class: 'checks' },
      abp.verification.checks.map((c) =>
        h('li', { class: c.passed ? 'ok' : 'bad' }, `${c.passed ? '✓' : '✗'} ${c.gate}: ${c.detail}`),
      ),
    ),
  );
}

export function renderDelegation(container, view, ui) {
  const abps = view.abps;
  fill(
    container,
    h(
      'h2',
      {},
      'Delegation review',
      ' ',
      ui.kindLink('review', 'reviews in Temporal'),
      ' ',
      ui.kindLink('monitor', 'monitor runs'),
    ),
    abps.length === 0
      ? empty('No ABPs yet. Build one with `npx warden abp build`.')
      : abps.map((abp) =>
          h(
            'section',
            { class: 'abp', 'data-testid': `abp-${abp.abpId}` },
            h(
              'header',
              { class: 'abp-head' },
              h('h3', {}, abp.abpId),
              pill(abp.status),
              h('code', { title: abp.abpHash }, shortHash(abp.abpHash)),
              abp.statusReason ? h('span', { class: 'muted' }, abp.statusReason) : null,
              ui.queryLink(`AbpId = "${abp.abpId}"`, 'everything about this ABP'),
            ),
            h(
              'div',
              { class: 'cards' },
              abp.cards.map((c) => triggerCard(c, ui)),
            ),
            abp.reviews.length === 0
              ? empty('No reviews.')
              : h(
                  'table',
                  { class: 'reviews' },
                  h(
                    'thead',
                    {},
                    h(
                      'tr',
                      {},
                      ['Review', 'Trigger', 'State', 'Approvals', 'Deadline / when', ''].map((t) => h('th', {}, t)),
                    ),
                  ),
                  h(
                    'tbody',
                    {},
                    abp.reviews.map((r) => reviewRow(r, ui)),
                  ),
                ),
            history(abp),
          ),
        ),
  );
}
