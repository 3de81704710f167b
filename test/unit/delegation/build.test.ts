import { describe, expect, it } from 'vitest';
import { buildAbp } from '../../../domain/delegation/build';
import { demoAbp, demoAbpSpec, DEMO_CLOCK } from '../../../demo/delegation-abp';
import { AbpSpecError } from '../../../domain/delegation/errors';
import { checkAbpIdentity, computeAbpHash, computeAbpId } from '../../../domain/delegation/identity';
import { sha256Hex } from '../../../domain/non-workflow/sha256';
import { abpCanonicalJson } from '../../../domain/delegation/canonical';
import { AbpSchema } from '../../../domain/delegation/schema';
import { refusalOf } from './refusal';

const refusal = (spec: unknown): string[] => refusalOf(AbpSpecError, () => buildAbp(spec, DEMO_CLOCK)).problems;

describe('building an ABP', () => {
  it('derives the id from scope, authority_ref and created_at, and the hash from the whole document', () => {
    const abp = demoAbp();
    const seed = abpCanonicalJson({ scope: abp.scope, authority_ref: abp.authority_ref, created_at: abp.created_at });
    expect(abp.abp_id).toBe(`ABP-${sha256Hex(seed).slice(0, 8)}`);
    expect(abp.hash).toBe(`sha256:${sha256Hex(abpCanonicalJson({ ...abp, hash: '' }))}`);
    expect(AbpSchema.parse(abp)).toEqual(abp);
    expect(checkAbpIdentity(abp)).toMatchObject({ idMatches: true, hashMatches: true });
  });

  it('gives the demo ABP the id the documentation uses', () => {
    expect(demoAbp().abp_id).toBe('ABP-fa736dd6');
  });

  it('is deterministic and independent of key order and time-zone spelling', () => {
    const spec = demoAbpSpec();
    const reordered = Object.fromEntries(Object.entries(spec).reverse());
    const a = buildAbp(spec, DEMO_CLOCK);
    const b = buildAbp({ ...reordered, created_at: '2026-02-24T01:00:00+01:00' }, '2030-01-01T00:00:00Z');
    expect(b.abp_id).toBe(a.abp_id);
    expect(b.hash).toBe(a.hash);
    expect(b.created_at).toBe('2026-02-24T00:00:00Z');
  });

  it('takes created_at from the clock when the spec has none, and effective_at from created_at', () => {
    const { created_at: _c, ...spec } = demoAbpSpec();
    const abp = buildAbp(spec, '2026-05-01T12:00:00.000Z');
    expect(abp.created_at).toBe('2026-05-01T12:00:00Z');
    expect(abp.effective_at).toBe('2026-05-01T12:00:00Z');
    expect(abp.abp_id).toBe(computeAbpId(abp.scope, abp.authority_ref, '2026-05-01T12:00:00Z'));
  });

  it('writes created_at, effective_at and expires_at at whole seconds in UTC, the form the reference hashes (finding 11)', () => {
    const { created_at: _c, ...spec } = demoAbpSpec();
    const byDefault = buildAbp(spec, '2026-05-01T12:00:00.789Z');
    expect(byDefault).toMatchObject({ created_at: '2026-05-01T12:00:00Z', effective_at: '2026-05-01T12:00:00Z' });
    const explicit = buildAbp(
      {
        ...spec,
        created_at: '2026-05-01T14:00:00.5+02:00',
        effective_at: '2026-05-02T00:00:00.25Z',
        expires_at: '2027-01-01T05:30:00.999+05:30',
      },
      DEMO_CLOCK,
    );
    expect(explicit).toMatchObject({
      created_at: '2026-05-01T12:00:00Z',
      effective_at: '2026-05-02T00:00:00Z',
      expires_at: '2027-01-01T00:00:00Z',
    });
    expect(explicit.abp_id).toBe(byDefault.abp_id);
    expect(checkAbpIdentity(explicit)).toMatchObject({ idMatches: true, hashMatches: true });
    expect(refusal({ ...spec, created_at: '0999-01-01T00:00:00Z' }).join(' ')).toMatch(
      /created_at: not an RFC 3339 date-time in the years 1000 to 9999/,
    );
  });

  it('stores every string as the reference hashes it, so no character escapes the hash', () => {
    const spec = demoAbpSpec();
    const abp = buildAbp(
      {
        ...spec,
        objectives: {
          ...spec.objectives!,
          allowed: [
            { id: 'OBJ-001', description: 'line\r\nnext' },
            { id: 'OBJ-002', description: '2026-01-01T00:00:00.5+01:00' },
          ],
        },
      },
      DEMO_CLOCK,
    );
    expect(abp.objectives.allowed.map((o) => o.description)).toEqual(['line\nnext', '2025-12-31T23:00:00Z']);
    const edited = {
      ...abp,
      objectives: {
        ...abp.objectives,
        allowed: [{ id: 'OBJ-001', description: 'line\r\nnext' }, abp.objectives.allowed[1]!],
      },
    };
    // The reference cannot see this edit (it hashes CRLF as LF); Warden never stores the CRLF form.
    expect(computeAbpHash(edited)).toBe(abp.hash);
  });

  it('changes the hash but not the id when delegation_review is added or removed', () => {
    const { delegation_review: _d, ...without } = demoAbpSpec();
    const a = buildAbp(without, DEMO_CLOCK);
    const b = demoAbp();
    expect(a.abp_id).toBe(b.abp_id);
    expect(a.hash).not.toBe(b.hash);
    expect(a).not.toHaveProperty('delegation_review');
  });

  it('detects tampering with any field', () => {
    const abp = demoAbp();
    const tampered = { ...abp, tools: { ...abp.tools, deny: [] } };
    expect(checkAbpIdentity(tampered)).toMatchObject({ idMatches: true, hashMatches: false });
    const moved = { ...abp, created_at: '2026-02-25T00:00:00Z' };
    const rehashed = { ...moved, hash: computeAbpHash(moved) };
    expect(checkAbpIdentity(rehashed)).toMatchObject({ idMatches: false, hashMatches: true });
  });

  it('refuses an objective or tool that is both allowed and denied', () => {
    const spec = demoAbpSpec();
    const problems = refusal({
      ...spec,
      objectives: { ...spec.objectives!, denied: [{ id: 'OBJ-001', description: 'x', reason: 'y' }] },
      tools: { ...spec.tools!, allow: [...spec.tools!.allow, { name: 'payments.execute', scope: null }] },
    });
    expect(problems.join(' ')).toMatch(/objectives both allowed and denied: OBJ-001/);
    expect(problems.join(' ')).toMatch(/tools both allowed and denied: payments.execute/);
  });

  it('refuses bad specs naming the field', () => {
    const spec = demoAbpSpec();
    expect(refusal({ ...spec, extra: 1 }).join(' ')).toMatch(/extra/);
    expect(
      refusal({ ...spec, authority_ref: { ...spec.authority_ref, authority_entry_id: 'AUTH-XYZ' } }).join(' '),
    ).toMatch(/^authority_ref\.authority_entry_id: must look like AUTH-<8 hex>/);
    expect(
      refusal({
        ...spec,
        data: { permissions: [{ resource: 'x', operations: ['drop'], roles: [], sensitivity: 'public' }] },
      }).join(' '),
    ).toMatch(/data\.permissions\[0\]\.operations\[0\]/);
    expect(refusal({ ...spec, created_at: 'yesterday' }).join(' ')).toMatch(/created_at/);
    expect(refusal({ ...spec, expires_at: '2026-02-23T00:00:00Z' }).join(' ')).toMatch(
      /expires_at: must be later than effective_at/,
    );
    const review = spec.delegation_review!;
    expect(
      refusal({
        ...spec,
        delegation_review: { ...review, review_policy: { ...review.review_policy, threshold: 0 } },
      }).join(' '),
    ).toMatch(/delegation_review\.review_policy\.threshold/);
    expect(
      refusal({ ...spec, delegation_review: { ...review, triggers: [{ ...review.triggers[0]!, id: 'DRT-1' }] } }).join(
        ' ',
      ),
    ).toMatch(/delegation_review\.triggers\[0\]\.id/);
    expect(
      refusal({ ...spec, delegation_review: { ...review, triggers: [...review.triggers, review.triggers[0]!] } }).join(
        ' ',
      ),
    ).toMatch(/duplicate id DRT-001/);
    expect(
      refusal({
        ...spec,
        delegation_review: {
          ...review,
          triggers: [{ ...review.triggers[1]!, condition: { blocked_count_gt: 'five' } }],
        },
      }).join(' '),
    ).toMatch(/trigger DRT-002 condition\.blocked_count_gt/);
    expect(
      refusal({
        ...spec,
        delegation_review: { ...review, triggers: [{ ...review.triggers[1]!, condition: { whatever: 1 } }] },
      }).join(' '),
    ).toMatch(/trigger DRT-002 condition: unknown condition/);
    expect(
      refusal({ ...spec, composition: { parent_abp_id: 'ABP-00000000', parent_abp_hash: null, children: [] } }).join(
        ' ',
      ),
    ).toMatch(/parent_abp_id and parent_abp_hash must be set together/);
  });
});
