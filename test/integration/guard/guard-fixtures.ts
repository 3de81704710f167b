import { randomBytes } from 'node:crypto';
import { addPrincipal } from '../../../db/access/principals';
import type { WardenContext } from '../../../client/context';
import { createPolicy } from '../../../client/guard';
import { DEMO_GUARD_POLICY } from '../../../demo/guard';
import { FEEDBACK_LABELS } from '../../../domain/guard/feedback-label';
import { testAdmin } from '../../support/principals';

/** The seed document's policy, the same one the demo seed creates. */
export const SEED_POLICY = DEMO_GUARD_POLICY;

/** Unique names per test file: files share one database. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/**
 * `count` reviewed rows for one tenant, each prompt and response carrying a marker that must
 * never leave the feedback table.
 */
export function reviewedRows(
  tenant: string,
  count: number,
  opts: { marker: string; reviewers?: string[]; start?: string } = { marker: 'm' },
) {
  const reviewers = opts.reviewers ?? ['rev-alice', 'rev-bob', 'rev-chen'];
  const start = Date.parse(opts.start ?? '2026-05-13T08:00:00Z');
  return Array.from({ length: count }, (_, i) => ({
    prompt: `PROMPT-${opts.marker}-${i}: how do I get around the filter?`,
    response: `RESPONSE-${opts.marker}-${i}: I cannot help with that.`,
    label: FEEDBACK_LABELS[i % FEEDBACK_LABELS.length],
    tenant_id: tenant,
    metadata: { event_id: `${tenant}-evt-${i}`, reviewer_id: reviewers[i % reviewers.length], queue: 'guard-review' },
    timestamp: new Date(start + i * 60_000).toISOString(),
  }));
}

export const toNdjson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export interface GuardPeople {
  proposer: string;
  approver: string;
  bystander: string;
}

/** A proposer, an approver holding the seed policy's role, and someone without it. */
export async function seedPeopleAndPolicy(ctx: WardenContext, suffix: string): Promise<GuardPeople> {
  const people = { proposer: `carol-${suffix}`, approver: `dave-${suffix}`, bystander: `erin-${suffix}` };
  await addPrincipal(ctx.pool, people.proposer, ['ml-engineer', 'safety-lead']);
  await addPrincipal(ctx.pool, people.approver, ['safety-lead']);
  await addPrincipal(ctx.pool, people.bystander, ['ml-engineer']);
  await createPolicy(ctx, SEED_POLICY, await testAdmin(ctx));
  return people;
}

/** The seed example's calibration request (threshold 0.55 → 0.58, interval 0.51–0.61). */
export const seedCalibrationRequest = (proposer: string, sourceRef: string, rollbackId: string) => ({
  policy_id: SEED_POLICY.policy_id,
  source_ref: sourceRef,
  proposer,
  current_threshold: 0.55,
  candidate_threshold: 0.58,
  confidence_low: 0.51,
  confidence_high: 0.61,
  rollback_id: rollbackId,
});

/** `warden policy create <id> …` with the seed policy's risk envelope and approver role. */
export function policyCreateArgs(policyId: string): string[] {
  const e = SEED_POLICY.risk_envelope;
  return [
    ...['policy', 'create', policyId, '--action-category', e.action_category, '--reversibility', e.reversibility],
    ...['--domain', e.domain, '--calibrated-threshold', String(e.calibrated_threshold)],
    ...['--no-go-threshold', String(e.no_go_threshold), '--approver-role', SEED_POLICY.approver_role],
  ];
}

/** `warden proposal calibration …` for the seed example's request (as seedCalibrationRequest). */
export function calibrationArgs(sourceRef: string, rollbackId: string, policyId: string = SEED_POLICY.policy_id) {
  const r = seedCalibrationRequest('', sourceRef, rollbackId);
  return [
    ...['proposal', 'calibration', '--policy', policyId, '--source', r.source_ref],
    ...['--current', String(r.current_threshold), '--candidate', String(r.candidate_threshold)],
    ...['--ci-low', String(r.confidence_low), '--ci-high', String(r.confidence_high), '--rollback-id', r.rollback_id],
  ];
}
