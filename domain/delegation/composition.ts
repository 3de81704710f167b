import { sealAbp } from './build';
import type { GateResult } from './export-gates';
import type { Abp, ReviewPolicy } from './schema';
import { DEFAULT_REVIEW_POLICY } from './compose';

/**
 * Composition with a way in (`warden abp compose`): a parent version that lists its children by
 * id and hash, and each child stamped with its parent. Pure: the caller reads and stores.
 *
 * The two references cannot both name each other's final hash (stamping a child changes its
 * hash, and listing it changes the parent's): the parent lists each child by the hash it had when
 * it was composed (the version the stamped one supersedes) and each child names the parent
 * version that lists it. `compositionGates` checks exactly that, both ways.
 */

/** The trigger of the review a parent's revocation or replacement opens on each child. */
export const PARENT_CHANGED = 'parent_changed';

/** The parent's next version: its children so far, plus `children` (a child given again is listed with its hash now). */
export function listChildren(parent: Abp, children: readonly Abp[]): Abp {
  const listed = parent.composition.children.filter((c) => !children.some((n) => n.abp_id === c.abp_id));
  const { hash: _hash, ...body } = parent;
  return sealAbp({
    ...body,
    composition: {
      ...parent.composition,
      children: [...listed, ...children.map((c) => ({ abp_id: c.abp_id, abp_hash: c.hash }))],
    },
  });
}

/** The child's next version, naming `parent` (the version that lists it) as its parent. */
export function stampParent(child: Abp, parent: Abp): Abp {
  const { hash: _hash, ...body } = child;
  return sealAbp({
    ...body,
    composition: { ...child.composition, parent_abp_id: parent.abp_id, parent_abp_hash: parent.hash },
  });
}

/** The policy a parent_changed review of `child` runs under: the child's own, else the default. */
export const parentChangedPolicy = (child: Abp): ReviewPolicy =>
  child.delegation_review?.review_policy ?? DEFAULT_REVIEW_POLICY;

/** A stored ABP as `abp verify` reads it around one reference. */
export interface ReferencedAbp {
  /** The version named by hash (null: no such version, or not this id). */
  version: Abp | null;
  /** The current version of that id and its pointer's status (null: none stored). */
  current: { abp: Abp | null; status: 'active' | 'revoked' | 'replaced' | 'superseded' } | null;
}

/**
 * The composition references, both ways. Up: the parent version named by parent_abp_hash is a
 * version of parent_abp_id that lists this ABP, and the parent's current version still lists it
 * and is active. Down: each listed child hash is a version of that child, and the child's current
 * version names this ABP as its parent.
 */
export function compositionGates(
  abp: Abp,
  parent: ReferencedAbp | null,
  children: ReadonlyMap<string, ReferencedAbp>,
): GateResult[] {
  const gates: GateResult[] = [];
  const { parent_abp_id: parentId, parent_abp_hash: parentHash } = abp.composition;
  if (parentId !== null && parent !== null) {
    const problems: string[] = [];
    const lists = (p: Abp | null | undefined) => p?.composition.children.some((c) => c.abp_id === abp.abp_id) ?? false;
    if (parent.version === null) problems.push(`${parentHash} is not a stored version of ${parentId}`);
    else if (!lists(parent.version)) problems.push(`${parentId} version ${parentHash} does not list ${abp.abp_id}`);
    if (parent.current === null) problems.push(`${parentId} is not stored`);
    else {
      if (parent.current.status !== 'active')
        problems.push(`${parentId} is ${parent.current.status}: this child needs review`);
      if (!lists(parent.current.abp)) problems.push(`the current ${parentId} no longer lists ${abp.abp_id}`);
    }
    gates.push({
      gate: 'abp.parent_reference',
      passed: problems.length === 0,
      detail: problems.join('; ') || `${parentId} lists ${abp.abp_id}`,
    });
  }
  if (abp.composition.children.length > 0) {
    const problems: string[] = [];
    for (const { abp_id: childId, abp_hash: childHash } of abp.composition.children) {
      const child = children.get(childId);
      if (!child || child.version === null) problems.push(`${childHash} is not a stored version of ${childId}`);
      if (!child?.current?.abp) problems.push(`${childId} is not stored`);
      else if (child.current.abp.composition.parent_abp_id !== abp.abp_id) {
        problems.push(`${childId} names ${child.current.abp.composition.parent_abp_id ?? 'no parent'} as its parent`);
      }
    }
    gates.push({
      gate: 'abp.child_references',
      passed: problems.length === 0,
      detail: problems.join('; ') || `${abp.composition.children.length} child(ren) name ${abp.abp_id} as their parent`,
    });
  }
  return gates;
}
