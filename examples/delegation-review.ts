/**
 * seeds/delegation-review.txt as a run: build the demo ABP, let its gate block six irreversible
 * actions, watch DRT-002 (irreversible_action_blocked, blocked_count_gt 5 in 7 days) trip and open
 * a critical review, approve an abp_patch, and see the new hash and the action allowed.
 *
 *   npm run example -- delegation-review
 *
 * The ABP is the demo's (the SEQUOIA program with the document's four triggers and review
 * policy) under a contract id of its own, so every run starts with clear triggers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Warden } from '../client/warden';

const unique = () => randomBytes(4).toString('hex');
const CREATED_AT = '2026-02-24T00:00:00Z';
const authorityEntry = JSON.stringify({
  entry_id: 'AUTH-033059a5',
  grantor: 'board',
  grantee: 'sequoia-agents',
  effective_at: CREATED_AT,
});

const spec = {
  scope: { contract_id: `CTR-${unique()}`, program: 'SEQUOIA', modules: ['hiring', 'bid', 'compliance', 'boe'] },
  authority_ref: {
    authority_entry_id: 'AUTH-033059a5',
    authority_entry_hash: `sha256:${createHash('sha256').update(authorityEntry).digest('hex')}`,
    authority_ledger_path: null,
  },
  objectives: {
    allowed: [
      { id: 'OBJ-001', description: 'Screen candidates against the published criteria' },
      { id: 'OBJ-004', description: 'Notify candidates of their screening outcome' },
    ],
    denied: [{ id: 'OBJ-900', description: 'Make final hiring decisions', reason: 'human oversight required' }],
  },
  tools: {
    allow: [
      { name: 'ats.read', scope: 'hiring' },
      { name: 'docs.draft', scope: null },
    ],
    deny: [
      { name: 'email.send_external', reason: 'no external communication without review' },
      { name: 'payments.execute', reason: 'financial actions are out of scope' },
    ],
  },
  data: {
    permissions: [
      { resource: 'candidates/*', operations: ['read'], roles: ['agent', 'recruiter'], sensitivity: 'confidential' },
    ],
  },
  approvals: { required: [] },
  escalation: {
    paths: [{ trigger: 'drift_threshold', destination: 'governance-board', severity: 'critical', auto: true }],
  },
  runtime: {
    validators: [
      { name: 'authority_envelope_complete', when: 'pre_action', fail_action: 'block', config: {} },
      { name: 'policy_hash_matches', when: 'pre_action', fail_action: 'block', config: {} },
      { name: 'abp_present_on_export', when: 'pre_action', fail_action: 'block', config: {} },
      { name: 'abp_hash_valid', when: 'pre_action', fail_action: 'block', config: {} },
      { name: 'drift_threshold', when: 'periodic', fail_action: 'escalate', config: { max_ds: 6 } },
    ],
  },
  delegation_review: {
    triggers: [
      {
        id: 'DRT-001',
        name: 'recurring_drift_fingerprint',
        condition: { fingerprint_repeats: 3, window_days: 14 },
        severity: 'warn',
        auto_open: true,
      },
      {
        id: 'DRT-002',
        name: 'irreversible_action_blocked',
        condition: { blocked_count_gt: 5, window_days: 7 },
        severity: 'critical',
        auto_open: true,
      },
      {
        id: 'DRT-003',
        name: 'linkage_score_sustained_drop',
        condition: { overall_coherence_lt: 60, consecutive_runs: 3 },
        severity: 'critical',
        auto_open: true,
      },
      {
        id: 'DRT-004',
        name: 'assumption_expiry_breach',
        condition: { expired_claims_gt: 4, window_days: 30 },
        severity: 'warn',
        auto_open: false,
      },
    ],
    review_policy: { approver_role: 'Reviewer', threshold: 1, timeout_ms: 604_800_000, output: 'abp_patch' },
  },
  created_at: CREATED_AT,
};

/** The irreversible action the ABP denies: emailing a candidate outside the company. */
const sendExternalEmail = (abpHash: string) => ({
  action_id: `send-${unique()}`,
  agent_id: 'recruiter-bot',
  abp_hash: abpHash,
  objective: 'OBJ-004',
  tool: 'email.send_external',
  data: [{ resource: 'candidates/42', operation: 'read' }],
  role: 'agent',
  irreversible: true,
});

const warden = await Warden.connect();
try {
  const loop = warden.delegation;
  // Building ABPs and adding principals are an administrator's acts: the examples act as
  // WARDEN_PRINCIPAL (an admin); on a fresh installation with no admin yet, example-admin becomes the first.
  const admin = process.env.WARDEN_PRINCIPAL ?? 'example-admin';
  await warden.addPrincipal(admin, ['admin'], admin);
  await warden.addPrincipal('example-reviewer', ['Reviewer'], admin);

  // 1. Delegate: the board's ABP, built and exported (one export per module, each gated).
  const { abp } = await loop.buildAbp(spec, { as: admin });
  console.log(`Built ${abp.abp_id} ${abp.hash}`);

  // 2. Execute: every action passes the runtime validators; six irreversible ones are blocked.
  for (let n = 1; n <= 6; n++) {
    // A check answers once its verdict is stored; waiting for the trigger evaluation it causes lets
    // the next step read the trigger as it stands.
    const check = await loop.checkAction(abp.abp_id, sendExternalEmail(abp.hash), { waitForEvaluation: true });
    const failed = check.results.find((r) => !r.passed);
    console.log(`Action ${n}: ${check.decision.toUpperCase()} by ${failed?.name ?? '—'}`);
  }

  // 3. Reassess: DRT-002 has tripped (6 > blocked_count_gt 5) and opened a critical review.
  const card = (await loop.triggers(abp.abp_id)).find((c) => c.triggerId === 'DRT-002')!;
  console.log(`DRT-002 ${card.name}: ${card.state} (${card.current} ${card.comparator} ${card.threshold})`);
  const [review] = await loop.reviews({ abpId: abp.abp_id, state: 'open' });
  if (!review) throw new Error(`no review opened for ${abp.abp_id}`);
  console.log(`Review ${review.reviewId} (${review.severity}) opened by ${review.openedBy}`);

  // The Reviewer approves a patch (the review policy's default output, abp_patch, so none is
  // named): email.send_external moves from denied to allowed for the hiring module.
  const patch = {
    tools: {
      allow: [...spec.tools.allow, { name: 'email.send_external', scope: 'hiring' }],
      deny: spec.tools.deny.filter((t) => t.name !== 'email.send_external'),
    },
  };
  await loop.approve(review.reviewId, { as: 'example-reviewer', document: patch, reason: 'candidates must hear back' });
  const result = await loop.result(review.reviewId);
  const next = result.outcome?.next;
  console.log(`Review ${review.reviewId}: ${result.state}`);
  console.log(`Rebuilt ${next?.abpId} ${next?.abpHash} (same id, new hash: ${next?.abpHash !== abp.hash})`);
  const shown = await loop.showAbp(abp.abp_id);
  console.log(
    `Exports re-stamped: ${shown.exports.filter((e) => e.abpHash === next?.abpHash).length}/${shown.exports.length}`,
  );

  // The same action under the new hash is now allowed.
  const allowed = await loop.checkAction(abp.abp_id, sendExternalEmail(next!.abpHash));
  console.log(`Action 7: ${allowed.decision.toUpperCase()}`);
} finally {
  await warden.close();
}
