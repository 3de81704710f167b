import { buildAbp } from '../domain/delegation/build';
import { canonicalDigest } from '../domain/delegation/digest';
import type { Abp, AbpSpecInput } from '../domain/delegation/schema';

/**
 * The demo ABP every fresh installation starts with: the SEQUOIA program from the original, its
 * four runtime validators plus drift_threshold, and the four delegation review triggers and
 * review policy from the delegation-review seed. Its clock is fixed, so its abp_id is the same on
 * every machine.
 */
export const DEMO_CLOCK = '2026-02-24T00:00:00Z';

/** The authority ledger entry the demo ABP cites (a stand-in: Warden keeps no authority ledger). */
export const DEMO_AUTHORITY_ENTRY = {
  entry_id: 'AUTH-033059a5',
  grantor: 'board',
  grantee: 'sequoia-agents',
  effective_at: DEMO_CLOCK,
};

export function demoAbpSpec(): AbpSpecInput {
  return {
    scope: { contract_id: 'CTR-001', program: 'SEQUOIA', modules: ['hiring', 'bid', 'compliance', 'boe'] },
    authority_ref: {
      authority_entry_id: DEMO_AUTHORITY_ENTRY.entry_id,
      authority_entry_hash: canonicalDigest(DEMO_AUTHORITY_ENTRY),
      authority_ledger_path: null,
    },
    objectives: {
      allowed: [
        { id: 'OBJ-001', description: 'Screen candidates against the published criteria' },
        { id: 'OBJ-002', description: 'Draft bid/no-bid recommendations' },
        { id: 'OBJ-003', description: 'Maintain the compliance matrix' },
        { id: 'OBJ-004', description: 'Notify candidates of their screening outcome' },
      ],
      denied: [{ id: 'OBJ-900', description: 'Make final hiring decisions', reason: 'human oversight required' }],
    },
    tools: {
      allow: [
        { name: 'ats.read', scope: 'hiring' },
        { name: 'docs.draft', scope: null },
        { name: 'pricing.estimate', scope: 'boe' },
      ],
      deny: [
        { name: 'email.send_external', reason: 'no external communication without review' },
        { name: 'payments.execute', reason: 'financial actions are out of scope' },
      ],
    },
    data: {
      permissions: [
        { resource: 'candidates/*', operations: ['read'], roles: ['agent', 'recruiter'], sensitivity: 'confidential' },
        { resource: 'bids/*', operations: ['read', 'write'], roles: ['agent', 'bid_manager'], sensitivity: 'internal' },
        { resource: 'pricing/*', operations: ['read'], roles: ['agent'], sensitivity: 'restricted' },
      ],
    },
    approvals: {
      required: [{ action: 'submit_bid', approver_role: 'BidManager', threshold: 1, timeout_ms: 86_400_000 }],
    },
    escalation: {
      paths: [
        { trigger: 'drift_threshold', destination: 'governance-board', severity: 'critical', auto: true },
        { trigger: 'review_timeout', destination: 'governance-board', severity: 'warn', auto: true },
      ],
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
    created_at: DEMO_CLOCK,
  };
}

export function demoAbp(): Abp {
  return buildAbp(demoAbpSpec(), DEMO_CLOCK);
}
