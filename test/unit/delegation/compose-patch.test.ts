import { describe, expect, it } from 'vitest';
import { buildAbp } from '../../../domain/delegation/build';
import { composeAbps, tightestReviewPolicy } from '../../../domain/delegation/compose';
import { demoAbp, demoAbpSpec, DEMO_CLOCK } from '../../../demo/delegation-abp';
import { AbpSpecError } from '../../../domain/delegation/errors';
import { checkAbpIdentity } from '../../../domain/delegation/identity';
import { applyMergePatch } from '../../../domain/delegation/merge-patch';
import { patchAbp } from '../../../domain/delegation/patch';
import type { ReviewPolicy } from '../../../domain/delegation/schema';

const policy = (timeout_ms: number | null, approver_role = 'Reviewer'): ReviewPolicy => ({
  approver_role,
  threshold: 1,
  timeout_ms,
  output: 'abp_patch',
});

describe('composition', () => {
  it('lets the tightest review timeout win, null being no timeout', () => {
    expect(
      tightestReviewPolicy([policy(null, 'a'), policy(5000, 'b'), policy(1000, 'c'), policy(1000, 'd')])?.approver_role,
    ).toBe('c');
    expect(tightestReviewPolicy([policy(null, 'a'), policy(null, 'b')])?.approver_role).toBe('a');
    expect(tightestReviewPolicy([])).toBeUndefined();
  });

  it('builds a parent from children: merged boundaries, child references, de-duplicated triggers', () => {
    const spec = demoAbpSpec();
    const hiring = buildAbp({ ...spec, scope: { ...spec.scope, modules: ['hiring'] } }, DEMO_CLOCK);
    const bidSpec = demoAbpSpec();
    const review = bidSpec.delegation_review!;
    const bid = buildAbp(
      {
        ...bidSpec,
        scope: { ...bidSpec.scope, modules: ['bid'] },
        objectives: { allowed: [{ id: 'OBJ-010', description: 'Price a bid' }], denied: [] },
        tools: { allow: [{ name: 'pricing.estimate', scope: 'boe' }], deny: [] },
        delegation_review: {
          ...review,
          review_policy: { ...review.review_policy, timeout_ms: 3_600_000, approver_role: 'BidBoard' },
        },
      },
      DEMO_CLOCK,
    );
    const parent = composeAbps({ scope: spec.scope, authority_ref: spec.authority_ref }, [hiring, bid], DEMO_CLOCK);
    expect(parent.composition.children).toEqual([
      { abp_id: hiring.abp_id, abp_hash: hiring.hash },
      { abp_id: bid.abp_id, abp_hash: bid.hash },
    ]);
    expect(parent.objectives.allowed.map((o) => o.id)).toContain('OBJ-010');
    expect(parent.delegation_review?.triggers.map((t) => t.id)).toEqual(['DRT-001', 'DRT-002', 'DRT-003', 'DRT-004']);
    expect(parent.delegation_review?.review_policy).toMatchObject({ timeout_ms: 3_600_000, approver_role: 'BidBoard' });
    expect(checkAbpIdentity(parent)).toMatchObject({ idMatches: true, hashMatches: true });
  });

  it('refuses a composition whose children contradict each other', () => {
    const spec = demoAbpSpec();
    const a = buildAbp(spec, DEMO_CLOCK);
    const b = buildAbp(
      {
        ...spec,
        scope: { ...spec.scope, modules: ['boe'] },
        tools: { allow: [{ name: 'email.send_external', scope: null }], deny: [] },
      },
      DEMO_CLOCK,
    );
    expect(() => composeAbps({ scope: spec.scope, authority_ref: spec.authority_ref }, [a, b], DEMO_CLOCK)).toThrow(
      /email\.send_external/,
    );
  });
});

describe('JSON Merge Patch (RFC 7396)', () => {
  it('merges objects, removes keys set to null and replaces arrays whole', () => {
    const target = { a: { b: 1, c: [1, 2] }, d: 'x' };
    expect(applyMergePatch(target, { a: { c: [3], e: true }, d: null })).toEqual({ a: { b: 1, c: [3], e: true } });
    expect(target).toEqual({ a: { b: 1, c: [1, 2] }, d: 'x' });
  });
});

describe('patching an ABP', () => {
  const abp = demoAbp();
  const allowEmail = {
    tools: {
      allow: [...abp.tools.allow, { name: 'email.send_external', scope: 'hiring' }],
      deny: abp.tools.deny.filter((t) => t.name !== 'email.send_external'),
    },
  };

  it('keeps the id and changes the hash', () => {
    const patched = patchAbp(abp, allowEmail);
    expect(patched.abp_id).toBe(abp.abp_id);
    expect(patched.hash).not.toBe(abp.hash);
    expect(patched.tools.allow.map((t) => t.name)).toContain('email.send_external');
    expect(checkAbpIdentity(patched)).toMatchObject({ idMatches: true, hashMatches: true });
  });

  it('refuses identity fields, contradictions, invalid results and no-op patches', () => {
    expect(() => patchAbp(abp, { scope: { modules: [] } })).toThrow(/scope: cannot be patched/);
    expect(() =>
      patchAbp(abp, { tools: { allow: [...abp.tools.allow, { name: 'payments.execute', scope: null }] } }),
    ).toThrow(/payments\.execute/);
    expect(() =>
      patchAbp(abp, { runtime: { validators: [{ name: 'x', when: 'never', fail_action: 'block', config: {} }] } }),
    ).toThrow(/runtime\.validators\[0\]\.when/);
    expect(() => patchAbp(abp, { tools: abp.tools })).toThrow(/unchanged/);
    expect(() => patchAbp(abp, [])).toThrow(AbpSpecError);
  });
});
