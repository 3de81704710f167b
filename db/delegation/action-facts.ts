import type { Queryable } from '../pool';
import { AbpSchema, type Abp } from '../../domain/delegation/schema';
import type { ActionFacts } from '../../domain/delegation/validators';
import { notFound } from '../../domain/errors';
import { findCurrentByAbpId, findLatestVersion, type CurrentAbp } from './abps';
import { listExports } from './exports';
import { findActiveDegradation } from './degradations';

/** Red and yellow drift signals inside drift_threshold's window (config.window_days, default 7). */
const DRIFT_WINDOW_DAYS = 7;

async function openDriftSignals(q: Queryable, abpId: string, windowDays: number, now: Date): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM drift_signals
      WHERE abp_id = $1 AND severity IN ('red', 'yellow') AND observed_at >= $2::timestamptz - make_interval(days => $3) AND observed_at <= $2`,
    [abpId, now, windowDays],
  );
  return rows[0]?.n ?? 0;
}

/**
 * What the validators judge by, read in one place for checked actions and the monitor's periodic
 * pass: the stored ABP (as stored, so a tampered row fails abp_hash_valid), the current pointer,
 * the exports and the open drift.
 */
export async function gatherFacts(
  q: Queryable,
  abpId: string,
  now: Date,
  opts: { agentId?: string | null } = {},
): Promise<{ facts: ActionFacts; current: CurrentAbp | undefined }> {
  const current = await findCurrentByAbpId(q, abpId);
  const stored = current ?? (await findLatestVersion(q, abpId));
  if (!stored) throw notFound(`ABP ${abpId}`);
  // current.abpId, not the id asked for: it may be one the ABP was re-issued away from.
  const id = current?.abpId ?? abpId;
  const facts = await factsFor(q, id, AbpSchema.parse(stored.document), current, now);
  const degradation = opts.agentId === undefined ? null : ((await findActiveDegradation(q, id, opts.agentId)) ?? null);
  return { current, facts: { ...facts, parent: await parentOf(q, facts.abp), degradation } };
}

/**
 * The parent an ABP is composed under, as its pointer stands (active, revoked or replaced: its
 * denials still reach the child), or its newest stored version when it has no pointer; missing
 * when no version of it is stored (or the stored one is no ABP).
 */
export async function parentOf(q: Queryable, abp: Abp): Promise<ActionFacts['parent']> {
  const parentId = abp.composition.parent_abp_id;
  if (parentId === null) return null;
  const current = await findCurrentByAbpId(q, parentId);
  const stored = current ?? (await findLatestVersion(q, parentId));
  const parsed = stored ? AbpSchema.safeParse(stored.document) : undefined;
  // A parent that cannot be read is reported as missing: the child's checks then fail closed.
  if (!parsed?.success) return { id: parentId, abp: null, status: 'missing' };
  return { id: parentId, abp: parsed.data, status: current?.status ?? 'superseded' };
}

/** The facts around an ABP already read: the exports and open drift registered under `abpId`. */
export async function factsFor(q: Queryable, abpId: string, abp: Abp, current: CurrentAbp | undefined, now: Date): Promise<ActionFacts> {
  const driftValidator = abp.runtime.validators.find((v) => v.name === 'drift_threshold');
  const windowDays = typeof driftValidator?.config.window_days === 'number' ? driftValidator.config.window_days : DRIFT_WINDOW_DAYS;
  const exports = await listExports(q, abpId);
  return {
    abp,
    currentHash: current && current.status === 'active' ? current.abpHash : null,
    status: current?.status ?? 'superseded',
    exports: exports.map((e) => ({ exportId: e.exportId, embeddedHash: e.abpHash })),
    openDriftSignals: await openDriftSignals(q, abpId, windowDays, now),
    now: now.getTime(),
  };
}
