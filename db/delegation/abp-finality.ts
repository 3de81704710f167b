import type { Queryable } from '../pool';
import { listProvenance } from '../provenance/log';
import type { Abp } from '../../domain/delegation/schema';
import { conflict } from '../../domain/errors';
import { abpIdUsed, findCurrentByAbpId, scopeKey, type CurrentAbp } from './abps';

/**
 * Where an ABP id stands before a new version is stored under it: never seen, the current id of
 * its scope (active, revoked or replaced), or an id its scope has moved on from (superseded).
 */
export type IdStanding =
  | { kind: 'new' }
  | { kind: 'current'; status: 'active' | 'revoked' | 'replaced'; reason: string | null; replacedBy: string | null }
  | { kind: 'superseded'; by: string | null };

/** Read under the scope's pointer lock (FOR UPDATE) so a concurrent build or review cannot slip between. */
export async function idStanding(q: Queryable, abp: Pick<Abp, 'abp_id' | 'scope'>): Promise<IdStanding> {
  const { rows } = await q.query<{
    abp_id: string;
    status: 'active' | 'revoked' | 'replaced';
    status_reason: string | null;
    replaced_by: string | null;
  }>('SELECT abp_id, status, status_reason, replaced_by FROM abp_current WHERE scope_key = $1 FOR UPDATE', [
    scopeKey(abp.scope),
  ]);
  const pointer = rows[0];
  if (pointer?.abp_id === abp.abp_id) {
    return { kind: 'current', status: pointer.status, reason: pointer.status_reason, replacedBy: pointer.replaced_by };
  }
  return (await abpIdUsed(q, abp.abp_id)) ? { kind: 'superseded', by: pointer?.abp_id ?? null } : { kind: 'new' };
}

const final = (what: 'revocation' | 'replacement') =>
  `${what} is final: build a new ABP (a new scope, authority_ref or created_at gives it a new id) or replace it through a reviewed abp_replace`;

/**
 * Revocation and replacement are final: building a spec whose id was revoked, replaced or
 * superseded would otherwise make it active again. Refused (409) naming what happened to the id.
 */
export async function refuseRetiredId(
  q: Queryable,
  abp: Pick<Abp, 'abp_id' | 'scope'>,
  legacyId?: string,
): Promise<void> {
  const standing = await idStanding(q, abp);
  if (standing.kind === 'new' && legacyId !== undefined) return refuseRetiredLegacyId(q, abp, legacyId);
  if (standing.kind === 'new' || (standing.kind === 'current' && standing.status === 'active')) return;
  if (standing.kind === 'current') {
    const what =
      standing.status === 'revoked'
        ? `was revoked: ${standing.reason ?? '(no reason recorded)'}`
        : `was replaced by ${standing.replacedBy}`;
    throw conflict(`${abp.abp_id} ${what}; ${final(standing.status === 'revoked' ? 'revocation' : 'replacement')}`);
  }
  // The scope has moved on; a revocation before that is still the reason worth naming.
  const revocation = await latestRevocation(q, abp.abp_id);
  const revokedFor = revocation
    ? ((revocation.payload.reason as string | undefined) ?? `see review ${String(revocation.payload.review_id)}`)
    : undefined;
  const what =
    revokedFor !== undefined ? `was revoked: ${revokedFor}` : `was superseded by ${standing.by ?? 'another ABP'}`;
  throw conflict(
    `${abp.abp_id} ${what}; ${final(revokedFor !== undefined ? 'revocation' : 'replacement')}${standing.by ? ` (its scope is now governed by ${standing.by})` : ''}`,
  );
}

/**
 * A spec whose id is new may still name an ABP stored under the id Warden computed before it
 * matched the reference tooling: one retired before the identity migration was never re-issued
 * (only current ABPs were), so its new id was never stored. Refused like its old id would be.
 */
async function refuseRetiredLegacyId(
  q: Queryable,
  abp: Pick<Abp, 'abp_id' | 'scope'>,
  legacyId: string,
): Promise<void> {
  const seen = await q.query('SELECT 1 FROM abp_versions WHERE abp_id = $1 LIMIT 1', [legacyId]);
  if (!seen.rowCount) return;
  const current = await q.query<{ status: string }>('SELECT status FROM abp_current WHERE abp_id = $1', [legacyId]);
  if (current.rows[0]?.status === 'active') return;
  const revocation = await latestRevocation(q, legacyId);
  const reason = revocation
    ? ((revocation.payload.reason as string | undefined) ?? `see review ${String(revocation.payload.review_id)}`)
    : undefined;
  const what = reason !== undefined ? `was revoked: ${reason}` : 'was superseded';
  throw conflict(
    `${abp.abp_id} is ${legacyId} as Warden identified it before it matched the reference tooling, which ${what}; ${final(reason !== undefined ? 'revocation' : 'replacement')}`,
  );
}

/**
 * The newest `abp.revoked` entry of an ABP, under its id or any id it was re-issued away from
 * (abp_id_aliases): provenance keeps the subject it recorded, so a revocation made before the
 * identity migration is filed under the old id.
 */
async function latestRevocation(q: Queryable, abpId: string) {
  const { rows } = await q.query<{ old_id: string }>('SELECT old_id FROM abp_id_aliases WHERE new_id = $1', [abpId]);
  const found = [];
  for (const id of [abpId, ...rows.map((r) => r.old_id)])
    found.push(...(await listProvenance(q, { subject: `abp:${id}`, kind: 'abp.revoked', limit: 1 })));
  return found.sort((a, b) => b.seq - a.seq)[0];
}

/**
 * The ABP a child is composed under, read under its pointer lock, or undefined when no ABP has
 * that id: a revoked, replaced or superseded parent cannot take a child, whether the child comes
 * through `abp compose` or a spec built naming it (composition.parent_abp_id). Refused (409)
 * naming what happened.
 */
export async function liveParent(q: Queryable, parentId: string): Promise<CurrentAbp | undefined> {
  const row = await findCurrentByAbpId(q, parentId, { forUpdate: true });
  if (!row) {
    if (await abpIdUsed(q, parentId)) throw conflict(`cannot compose under ${parentId}: its scope has moved on`);
    return undefined;
  }
  if (row.status === 'revoked')
    throw conflict(`cannot compose under ${row.abpId}: it was revoked (${row.statusReason ?? 'no reason recorded'})`);
  if (row.status === 'replaced')
    throw conflict(`cannot compose under ${row.abpId}: it was replaced by ${row.replacedBy}`);
  return row;
}
