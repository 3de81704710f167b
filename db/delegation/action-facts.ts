import type { Queryable } from '../pool';
import { PROVENANCE_HEAD_COLUMNS, provenanceHeadOf, type ProvenanceHead } from '../provenance/log';
import { AbpSchema, type Abp } from '../../domain/delegation/schema';
import type { ActionFacts } from '../../domain/delegation/validators';
import { notFound } from '../../domain/errors';
import { findCurrentByAbpId, findLatestVersion, followAliases, type CurrentAbp } from './abps';
import { listExports } from './exports';
import { anyActiveDegradation, findActiveDegradation } from './degradations';

/** Red and yellow drift signals inside drift_threshold's window (config.window_days, default 7). */
const DRIFT_WINDOW_DAYS = 7;
const DAY_MS = 86_400_000;

interface OpenDrift {
  count: number;
  /**
   * Until when `count` holds as time passes (ms since the epoch): the oldest counted signal
   * leaving the window, or the earliest signal observed in the future entering it.
   */
  holdsUntil: number;
}

async function openDriftSignals(q: Queryable, abpId: string, windowDays: number, now: Date): Promise<OpenDrift> {
  const { rows } = await q.query<{ n: number; oldest: Date | null; upcoming: Date | null }>(
    `SELECT count(*) FILTER (WHERE observed_at <= $2)::int AS n,
            min(observed_at) FILTER (WHERE observed_at <= $2) AS oldest,
            min(observed_at) FILTER (WHERE observed_at > $2) AS upcoming
       FROM drift_signals
      WHERE abp_id = $1 AND severity IN ('red', 'yellow') AND observed_at >= $2::timestamptz - make_interval(days => $3)`,
    [abpId, now, windowDays],
  );
  const row = rows[0];
  const leaves = row?.oldest ? row.oldest.getTime() + windowDays * DAY_MS : Infinity;
  const enters = row?.upcoming ? row.upcoming.getTime() : Infinity;
  return { count: row?.n ?? 0, holdsUntil: Math.min(leaves, enters) };
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
export async function factsFor(
  q: Queryable,
  abpId: string,
  abp: Abp,
  current: CurrentAbp | undefined,
  now: Date,
): Promise<ActionFacts> {
  return (await timedFactsFor(q, abpId, abp, current, now)).facts;
}

async function timedFactsFor(
  q: Queryable,
  abpId: string,
  abp: Abp,
  current: CurrentAbp | undefined,
  now: Date,
): Promise<{ facts: ActionFacts; holdsUntil: number }> {
  const driftValidator = abp.runtime.validators.find((v) => v.name === 'drift_threshold');
  const windowDays =
    typeof driftValidator?.config.window_days === 'number' ? driftValidator.config.window_days : DRIFT_WINDOW_DAYS;
  const exports = await listExports(q, abpId);
  const drift = await openDriftSignals(q, abpId, windowDays, now);
  const facts: ActionFacts = {
    abp,
    currentHash: current && current.status === 'active' ? current.abpHash : null,
    status: current?.status ?? 'superseded',
    exports: exports.map((e) => ({ exportId: e.exportId, embeddedHash: e.abpHash })),
    openDriftSignals: drift.count,
    now: now.getTime(),
  };
  return { facts, holdsUntil: drift.holdsUntil };
}

/** The change stamp a set of facts was read under (migrations 010 and 016). */
export interface FactStamps {
  /** The ABP id whose facts were read: its stamp moves with any change to them (and only to them). */
  key: string;
  stamp: number;
}

/**
 * Reads the stamp of `key` (1 for an ABP whose facts never changed since migration 016), and the
 * provenance chain's head in the same statement (no lock: a hint for a writer that checks it under the lock).
 */
async function readFactStamp(q: Queryable, key: string): Promise<{ stamp: number; provenanceHead: ProvenanceHead }> {
  const { rows } = await q.query<{ stamp: number | null; head_seq: number | null; head_hash: string | null }>(
    `SELECT s.stamp, h.head_seq, h.head_hash
       FROM (SELECT ${PROVENANCE_HEAD_COLUMNS}) h LEFT JOIN abp_fact_stamps s ON s.stamp_key = $1`,
    [key],
  );
  return { stamp: rows[0]?.stamp ?? 1, provenanceHead: provenanceHeadOf(rows[0]!) };
}

export interface FactSnapshot {
  facts: ActionFacts;
  current: CurrentAbp | undefined;
  stamps: FactStamps;
  /** The facts hold, as time passes, only before this instant (ms); the stamps cover changes. */
  holdsUntil: number;
  /**
   * Facts this snapshot does not carry, so a decision needs the full read (gatherFacts): the ABP
   * is composed under a parent, or some agent is degraded under it (both judged per check).
   */
  needsFullRead: boolean;
  /**
   * The provenance chain's head when the stamps were read, without the lock: where a writer that
   * does not know the head yet signs its first entries (recordChecksAtHead checks it under the lock).
   */
  provenanceHead: ProvenanceHead;
}

/**
 * The facts of `abpId` with the stamps they were read under, for a cache that decides without
 * reading again. The stamps are read first: a change committing while the facts are read leaves
 * stamps older than the facts, which makes the snapshot look stale (re-read), never fresh.
 */
export async function snapshotFacts(q: Queryable, abpId: string, now: Date): Promise<FactSnapshot> {
  const resolved = (await followAliases(q, [abpId])).get(abpId) ?? abpId;
  const { stamp: before, provenanceHead } = await readFactStamp(q, resolved);
  const current = await findCurrentByAbpId(q, abpId);
  const stored = current ?? (await findLatestVersion(q, abpId));
  if (!stored) throw notFound(`ABP ${abpId}`);
  const key = current?.abpId ?? abpId;
  // The facts were read under another id than the stamp (an alias moved meanwhile): a stamp no
  // row ever has, so the snapshot looks stale (re-read), never fresh.
  const stamp = key === resolved ? before : 0;
  const { facts, holdsUntil } = await timedFactsFor(q, key, AbpSchema.parse(stored.document), current, now);
  const needsFullRead = facts.abp.composition.parent_abp_id !== null || (await anyActiveDegradation(q, key));
  return { facts, current, stamps: { key, stamp }, holdsUntil, needsFullRead, provenanceHead };
}
