import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withTransaction, type Queryable } from '../../db/pool';
import { appendProvenance } from '../../db/provenance/log';
import { ActionSchema } from '../../domain/delegation/action';
import { AbpSchema, type Abp } from '../../domain/delegation/schema';
import { checkAction, checkPeriodic, type ActionFacts, type ActionVerdict } from '../../domain/delegation/validators';
import { notFound } from '../../domain/errors';
import { findCurrentByAbpId, findLatestVersion, type CurrentAbp } from './abp-store';
import { recordEscalations } from './escalations';
import { listExports } from './export-files';

export interface ActionCheckRecord extends ActionVerdict {
  checkId: string;
  abpId: string;
  abpHash: string | null;
  irreversible: boolean;
}

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
export async function gatherFacts(q: Queryable, abpId: string, now: Date): Promise<{ facts: ActionFacts; current: CurrentAbp | undefined }> {
  const current = await findCurrentByAbpId(q, abpId);
  const stored = current ?? (await findLatestVersion(q, abpId));
  if (!stored) throw notFound(`ABP ${abpId}`);
  // current.abpId, not the id asked for: it may be one the ABP was re-issued away from.
  return { current, facts: await factsFor(q, current?.abpId ?? abpId, AbpSchema.parse(stored.document), current, now) };
}

/** The facts around an ABP already read: the exports and open drift registered under `abpId`. */
async function factsFor(q: Queryable, abpId: string, abp: Abp, current: CurrentAbp | undefined, now: Date): Promise<ActionFacts> {
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

const firedBy = (verdict: ActionVerdict) =>
  verdict.escalations.map((e) => ({ trigger: e.validator, destination: e.destination, severity: e.severity }));

/**
 * The execution umbrella for one action: gathers the facts, runs the validators and records the
 * verdict, its escalations and a provenance entry in one transaction.
 */
export async function runActionCheck(deps: { pool: pg.Pool; provenanceKey: string }, abpId: string, actionInput: unknown): Promise<ActionCheckRecord> {
  const action = ActionSchema.parse(actionInput);
  const now = new Date();
  return withTransaction(deps.pool, async (tx) => {
    const { facts, current } = await gatherFacts(tx, abpId, now);
    const verdict = checkAction(facts, action);
    const checkId = action.action_id ? `${abpId}/${action.action_id}` : `check-${randomUUID()}`;
    const inserted = await tx.query(
      `INSERT INTO abp_action_checks (check_id, abp_id, abp_hash, agent_id, action, irreversible, decision, results, escalations, checked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (check_id) DO NOTHING`,
      [checkId, abpId, current?.abpHash ?? null, action.agent_id ?? null, JSON.stringify(action), action.irreversible, verdict.decision,
        JSON.stringify(verdict.results), JSON.stringify(verdict.escalations), now],
    );
    if (inserted.rowCount === 1) {
      await recordEscalations(tx, deps.provenanceKey, { abpId, source: 'validator', reference: checkId, subject: `abp:${abpId}`, fired: firedBy(verdict) });
      await appendProvenance(tx, deps.provenanceKey, {
        kind: 'action.checked',
        subject: `abp:${abpId}`,
        actor: action.agent_id ?? null,
        payload: {
          check_id: checkId,
          decision: verdict.decision,
          irreversible: action.irreversible,
          failed: verdict.results.filter((r) => !r.passed).map((r) => r.name),
          escalations: verdict.escalations.map((e) => e.destination),
        },
      });
    }
    return { checkId, abpId, abpHash: current?.abpHash ?? null, irreversible: action.irreversible, ...verdict };
  });
}

/**
 * The monitor's periodic validators for one active ABP. An escalation fires at most once per ABP,
 * validator and UTC day, however often the monitor runs.
 */
export async function runPeriodicValidators(
  deps: { pool: pg.Pool; provenanceKey: string },
  current: CurrentAbp,
  abp: Abp,
  now = new Date(),
): Promise<ActionVerdict> {
  const abpId = abp.abp_id;
  return withTransaction(deps.pool, async (tx) => {
    const verdict = checkPeriodic(await factsFor(tx, abpId, abp, current, now));
    const day = now.toISOString().slice(0, 10);
    for (const [validator, fired] of groupBy(firedBy(verdict), (f) => f.trigger)) {
      await recordEscalations(tx, deps.provenanceKey, { abpId, source: 'validator', reference: `${abpId}/periodic/${validator}/${day}`, subject: `abp:${abpId}`, fired });
    }
    return verdict;
  });
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
