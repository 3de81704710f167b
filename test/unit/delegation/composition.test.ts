import { describe, expect, it } from 'vitest';
import { semanticProblems } from '../../../domain/delegation/build';
import {
  compositionGates,
  listChildren,
  stampParent,
  type ReferencedAbp,
} from '../../../domain/delegation/composition';
import { checkAbpIdentity, computeAbpId } from '../../../domain/delegation/identity';
import { sealAbp } from '../../../domain/delegation/build';
import type { Abp } from '../../../domain/delegation/schema';
import { demoAbp } from '../../../demo/delegation-abp';

const base = demoAbp();
/** The demo ABP on a scope of its own, so with an id of its own. */
const scoped = (contract: string): Abp => {
  const { hash: _hash, ...body } = { ...base, scope: { ...base.scope, contract_id: contract } };
  return sealAbp({ ...body, abp_id: computeAbpId(body.scope, body.authority_ref, body.created_at) });
};

describe('composition stamps', () => {
  const parent = scoped('P');
  const child = scoped('C');

  it('parent and child have ids of their own', () => expect(parent.abp_id).not.toBe(child.abp_id));

  it('keep ids, recompute hashes and stay reference-valid (parent id and hash together, no duplicate children)', () => {
    const listed = listChildren(parent, [child]);
    expect(listed.abp_id).toBe(parent.abp_id);
    expect(listed.composition.children).toEqual([{ abp_id: child.abp_id, abp_hash: child.hash }]);
    expect(checkAbpIdentity(listed).hashMatches).toBe(true);
    const stamped = stampParent(child, listed);
    expect(stamped.composition).toMatchObject({ parent_abp_id: listed.abp_id, parent_abp_hash: listed.hash });
    expect(checkAbpIdentity(stamped)).toMatchObject({ hashMatches: true, idMatches: true });
    expect(semanticProblems(stamped)).toEqual([]);
    // Listing the same child again replaces its entry instead of duplicating it.
    expect(listChildren(listed, [stamped]).composition.children).toEqual([
      { abp_id: child.abp_id, abp_hash: stamped.hash },
    ]);
  });

  it('verify gates fail when either side does not name the other', () => {
    const listed = listChildren(parent, [child]);
    const stamped = stampParent(child, listed);
    const active = (abp: Abp | null): ReferencedAbp => ({ version: abp, current: { abp, status: 'active' } });
    expect(compositionGates(stamped, active(listed), new Map()).every((g) => g.passed)).toBe(true);
    expect(
      compositionGates(
        listed,
        null,
        new Map([[child.abp_id, { version: child, current: { abp: stamped, status: 'active' } }]]),
      )[0],
    ).toMatchObject({ passed: true });
    // The parent does not list it, or is revoked.
    expect(compositionGates(stamped, active(parent), new Map())[0]).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/does not list/),
    });
    expect(
      compositionGates(stamped, { version: listed, current: { abp: listed, status: 'revoked' } }, new Map())[0]?.detail,
    ).toMatch(/revoked/);
    // The child names no parent.
    expect(compositionGates(listed, null, new Map([[child.abp_id, active(child)]]))[0]).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/no parent/),
    });
  });
});
