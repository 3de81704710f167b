import { withProvenanceTransaction } from '../db/provenance/log';
import { recordGrant } from '../client/access';
import type { WardenContext } from '../client/context';
import { ingestFeedback, storePolicy } from '../client/guard';
import { markSeeded, seedMarked } from '../db/seed-markers';
import { FEEDBACK_LABELS } from '../domain/guard/feedback-label';
import { guardPolicySchema } from '../domain/guard/policy';

export const DEMO_GUARD_POLICY = {
  policy_id: 'policy.self_improving.regulated',
  risk_envelope: {
    action_category: 'training',
    reversibility: 'costly',
    domain: 'regulated',
    calibrated_threshold: 0.45,
    no_go_threshold: 0.8,
  },
  approver_role: 'safety-lead',
} as const;

const DEMO_EVENTS = 40;

/** Synthetic reviewed feedback for the demo tenant: enough events for the seed example to pass its gates. */
export function demoFeedbackNdjson(): string {
  const start = Date.parse('2026-05-13T08:00:00Z');
  return Array.from({ length: DEMO_EVENTS }, (_, i) =>
    JSON.stringify({
      prompt: `Demo question ${i + 1} about account recovery`,
      response: `Demo answer ${i + 1}`,
      label: FEEDBACK_LABELS[i % FEEDBACK_LABELS.length],
      tenant_id: 'demo-tenant',
      metadata: { event_id: `demo-evt-${String(i + 1).padStart(3, '0')}`, reviewer_id: `reviewer-${'abc'[i % 3]}` },
      timestamp: new Date(start + i * 60_000).toISOString(),
    }),
  ).join('\n');
}

/**
 * First start on an empty database: the seed's policy, its proposer carol and approver dave, and
 * 40 reviewed demo events, so the seed example runs verbatim from the CLI. Once per installation.
 */
export async function seedGuardDemo(ctx: WardenContext): Promise<string[]> {
  if (await seedMarked(ctx.pool, 'seed.guard')) return [];
  // The installation seeds these itself; no person acts, so nothing is role-checked.
  await withProvenanceTransaction(ctx.pool, async (tx) => {
    await recordGrant(tx, ctx.provenanceKey, 'carol', ['ml-engineer'], null);
    await recordGrant(tx, ctx.provenanceKey, 'dave', [DEMO_GUARD_POLICY.approver_role], null);
  });
  await storePolicy(ctx, guardPolicySchema.parse(DEMO_GUARD_POLICY), null);
  const ingested = await ingestFeedback(ctx, demoFeedbackNdjson(), null);
  await markSeeded(ctx.pool, 'seed.guard', { policy_id: DEMO_GUARD_POLICY.policy_id, feedback_events: ingested.rows });
  return [
    `guard policy ${DEMO_GUARD_POLICY.policy_id}, principals carol and dave, ${ingested.rows} reviewed feedback events`,
  ];
}
