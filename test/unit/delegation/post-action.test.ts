import { describe, expect, it } from 'vitest';
import { ActionSchema } from '../../../domain/delegation/action';
import { ActionOutcomeSchema, type ActionOutcomeInput } from '../../../domain/delegation/action-outcome';
import { sealAbp } from '../../../domain/delegation/build';
import { checkOutcome, postActionChecks } from '../../../domain/delegation/post-action';
import type { Abp, FailAction, RuntimeValidator } from '../../../domain/delegation/schema';
import { checkAction, type ActionFacts } from '../../../domain/delegation/validators';
import { demoAbp } from '../../../demo/delegation-abp';

const base = demoAbp();
const NOW = Date.parse('2026-06-01T00:00:00Z');

function withValidators(validators: RuntimeValidator[], over: Partial<Abp> = {}): Abp {
  const { hash: _hash, ...body } = { ...base, runtime: { validators }, ...over };
  return sealAbp(body);
}
const post = (name: string, fail_action: FailAction, config: Record<string, unknown> = {}): RuntimeValidator => ({
  name,
  when: 'post_action',
  fail_action,
  config,
});
const facts = (abp: Abp, over: Partial<ActionFacts> = {}): ActionFacts => ({
  abp,
  currentHash: abp.hash,
  status: 'active',
  exports: [],
  openDriftSignals: 0,
  now: NOW,
  ...over,
});
const checked = (abp: Abp) => ({
  checkId: 'c-1',
  abpHash: abp.hash,
  action: ActionSchema.parse({
    abp_hash: abp.hash,
    objective: 'OBJ-001',
    tool: 'ats.read',
    data: [{ resource: 'candidates/42', operation: 'read' }],
    role: 'agent',
  }),
});
const outcome = (over: Partial<ActionOutcomeInput> | Record<string, unknown> = {}) =>
  ActionOutcomeSchema.parse({
    ...{ status: 'succeeded', touched: [{ resource: 'candidates/42', operation: 'read' }] },
    ...over,
  });

describe('post_action validators', () => {
  it('run only on outcomes, never before the action', () => {
    const abp = withValidators([post('outcome_succeeded', 'block')]);
    expect(checkAction(facts(abp), checked(abp).action).results.map((r) => r.name)).not.toContain('outcome_succeeded');
    expect(checkOutcome(facts(abp), checked(abp), outcome({ status: 'failed' })).decision).toBe('blocked');
    expect(checkOutcome(facts(abp), checked(abp), outcome()).decision).toBe('allowed');
  });

  it('each fail_action gives its decision; the strongest failing one decides', () => {
    for (const [failAction, decision] of [
      ['block', 'blocked'],
      ['warn', 'warned'],
      ['escalate', 'escalated'],
      ['degrade', 'degraded'],
    ] as const) {
      const abp = withValidators([post('outcome_succeeded', failAction)]);
      expect(checkOutcome(facts(abp), checked(abp), outcome({ status: 'failed' })).decision).toBe(decision);
    }
    const abp = withValidators([
      post('outcome_succeeded', 'warn'),
      post('cost_within_limit', 'degrade', { max_cost: 1 }),
    ]);
    expect(checkOutcome(facts(abp), checked(abp), outcome({ status: 'failed', cost: 2 })).decision).toBe('degraded');
  });

  it('escalate fires the paths named after the validator or post_action', () => {
    const abp = withValidators([post('cost_within_limit', 'escalate', { max_cost: 10 })], {
      escalation: {
        paths: [
          { trigger: 'cost_within_limit', destination: 'finance', severity: 'warn', auto: true },
          { trigger: 'post_action', destination: 'governance-board', severity: 'critical', auto: true },
          { trigger: 'review_timeout', destination: 'nobody', severity: 'info', auto: true },
        ],
      },
    });
    const verdict = checkOutcome(facts(abp), checked(abp), outcome({ cost: 11 }));
    expect(verdict.escalations.map((e) => e.destination)).toEqual(['finance', 'governance-board']);
    expect(checkOutcome(facts(abp), checked(abp), outcome({ cost: 10 })).escalations).toEqual([]);
  });

  it('authority_envelope_complete judges what was done: the tool used and the data touched', () => {
    const abp = withValidators([post('authority_envelope_complete', 'block')]);
    expect(checkOutcome(facts(abp), checked(abp), outcome()).decision).toBe('allowed');
    const emailed = checkOutcome(facts(abp), checked(abp), outcome({ tool: 'email.send_external' }));
    expect(emailed.results[0]).toMatchObject({
      passed: false,
      detail: expect.stringContaining('tool email.send_external denied'),
    });
    expect(
      checkOutcome(facts(abp), checked(abp), outcome({ touched: [{ resource: 'payroll/1', operation: 'read' }] }))
        .decision,
    ).toBe('blocked');
  });

  it('outcome_matches_check refuses a different tool or data the check did not name', () => {
    const abp = withValidators([post('outcome_matches_check', 'warn')]);
    expect(checkOutcome(facts(abp), checked(abp), outcome()).decision).toBe('allowed');
    expect(checkOutcome(facts(abp), checked(abp), outcome({ tool: 'docs.draft' })).decision).toBe('warned');
    expect(
      checkOutcome(facts(abp), checked(abp), outcome({ touched: [{ resource: 'candidates/42', operation: 'write' }] }))
        .decision,
    ).toBe('warned');
  });

  it('cost_within_limit needs a numeric max_cost and a reported cost', () => {
    const check = postActionChecks.cost_within_limit!;
    const abp = withValidators([]);
    expect(check(facts(abp), checked(abp), outcome({ cost: 5 }), { max_cost: 5 }).passed).toBe(true);
    expect(check(facts(abp), checked(abp), outcome({ cost: 6 }), { max_cost: 5 }).passed).toBe(false);
    expect(check(facts(abp), checked(abp), outcome(), { max_cost: 5 }).detail).toMatch(/no cost reported/);
    expect(check(facts(abp), checked(abp), outcome({ cost: 1 }), { max_cost: '5' }).detail).toMatch(/must be a number/);
  });

  it('policy_hash_matches fails when the ABP moved while the action ran; unknown names fail closed', () => {
    const abp = withValidators([post('policy_hash_matches', 'warn'), post('made_up', 'escalate')]);
    const verdict = checkOutcome(facts(abp, { currentHash: 'sha256:other' }), checked(abp), outcome());
    expect(verdict.results.map((r) => [r.name, r.passed])).toEqual([
      ['policy_hash_matches', false],
      ['made_up', false],
    ]);
    expect(verdict.decision).toBe('escalated');
  });

  it('bounds the outcome body', () => {
    expect(ActionOutcomeSchema.safeParse({ status: 'done' }).success).toBe(false);
    expect(ActionOutcomeSchema.safeParse({ status: 'succeeded', extra: 1 }).success).toBe(false);
    expect(ActionOutcomeSchema.safeParse({ status: 'succeeded', cost: -1 }).success).toBe(false);
    const many = Array.from({ length: 1001 }, (_, i) => ({ resource: `r/${i}`, operation: 'read' }));
    expect(ActionOutcomeSchema.safeParse({ status: 'succeeded', touched: many }).success).toBe(false);
    expect(ActionOutcomeSchema.safeParse({ status: 'succeeded', summary: 'x'.repeat(9000) }).success).toBe(false);
  });
});

describe('composition in the pre_action check', () => {
  const child = withValidators([]);
  const parent = withValidators([], {
    scope: { ...base.scope, contract_id: 'PARENT' },
    tools: { allow: [], deny: [{ name: 'ats.read', reason: 'the program forbids it' }] },
  });
  it("the parent's tools.deny blocks the child's action; a degraded agent is blocked", () => {
    expect(checkAction(facts(child), checked(child).action).decision).toBe('allowed');
    const underParent = checkAction(
      facts(child, { parent: { id: parent.abp_id, abp: parent, status: 'active' } }),
      checked(child).action,
    );
    expect(underParent.decision).toBe('blocked');
    expect(underParent.results.find((r) => r.name === 'parent_boundary')?.detail).toMatch(
      /tool ats.read denied by parent/,
    );
    const missing = checkAction(
      facts(child, { parent: { id: 'ABP-00000000', abp: null, status: 'missing' } }),
      checked(child).action,
    );
    expect(missing.decision).toBe('blocked');
    const degraded = checkAction(
      facts(child, { degradation: { checkId: 'c-0', reason: 'cost' } }),
      checked(child).action,
    );
    expect(degraded.results.filter((r) => !r.passed).map((r) => r.name)).toEqual(['agent_not_degraded']);
  });
});
