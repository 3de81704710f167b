import type pg from 'pg';
import { appendProvenance } from '../provenance/log';
import type { Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import { endorsementSettingsSchema, type EndorsementSettings } from '../../domain/endorsement/settings';
import type { ConflictResult } from '../../domain/endorsement/conflict';
import type { Decision, EndorsementState } from '../../domain/endorsement/states';
import { conflict, notFound } from '../../domain/errors';
import type { KernelChange } from '../../domain/kernel/definition';
import { appendKernelVersion } from './agents';
import { requireOperator } from './operator-role';

export interface EndorsementRecord {
  id: string;
  agentId: string;
  ruleText: string;
  conflictKind: ConflictResult['kind'];
  target: string | null;
  change: KernelChange | null;
  reason: string;
  baseVersion: number;
  settings: EndorsementSettings;
  state: EndorsementState;
  requestedBy: string | null;
  decidedBy: string | null;
  decision: Decision | null;
  stagedAt: string | null;
  deadlineAt: string | null;
  capAt: string | null;
  appliedVersion: number | null;
  outcomeReason: string | null;
  outcomeScore: number | null;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  agent_id: string;
  rule_text: string;
  conflict_kind: EndorsementRecord['conflictKind'];
  target: string | null;
  change: KernelChange | null;
  reason: string;
  base_version: number;
  settings: unknown;
  state: EndorsementState;
  requested_by: string | null;
  decided_by: string | null;
  decision: EndorsementRecord['decision'];
  staged_at: Date | null;
  deadline_at: Date | null;
  cap_at: Date | null;
  applied_version: number | null;
  outcome_reason: string | null;
  outcome_score: number | null;
  created_at: Date;
  updated_at: Date;
}

/** The columns of EndorsementRecord, in its order (the wake flag stays with the live path). */
const COLUMNS = `id, agent_id, rule_text, conflict_kind, target, change, reason, base_version, settings, state, requested_by, decided_by,
  decision, staged_at, deadline_at, cap_at, applied_version, outcome_reason, outcome_score, created_at, updated_at`;

function fromRow(r: Row): EndorsementRecord {
  return { ...camelRow(r), settings: endorsementSettingsSchema.parse(r.settings) };
}

export async function findEndorsement(q: Queryable, id: string, lock = false): Promise<EndorsementRecord | undefined> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM endorsements WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function requireEndorsement(q: Queryable, id: string, lock = false): Promise<EndorsementRecord> {
  const found = await findEndorsement(q, id, lock);
  if (!found) throw notFound(`endorsement "${id}"`);
  return found;
}

export async function findOpenEndorsement(q: Queryable, agentId: string, target: string): Promise<string | undefined> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM endorsements WHERE agent_id = $1 AND target = $2 AND state IN ('pending', 'staged', 'inconclusive')`,
    [agentId, target],
  );
  return rows[0]?.id;
}

/** An agent's open endorsements, newest first: all of them, however many closed ones came later. */
export async function listOpenEndorsements(
  q: Queryable,
  agentId: string,
): Promise<Pick<EndorsementRecord, 'id' | 'target' | 'state'>[]> {
  const { rows } = await q.query<Pick<EndorsementRecord, 'id' | 'target' | 'state'>>(
    `SELECT id, target, state FROM endorsements WHERE agent_id = $1 AND state IN ('pending', 'staged', 'inconclusive') ORDER BY created_at DESC`,
    [agentId],
  );
  return rows;
}

export type NewEndorsement = Pick<
  EndorsementRecord,
  | 'id'
  | 'agentId'
  | 'ruleText'
  | 'conflictKind'
  | 'target'
  | 'change'
  | 'reason'
  | 'baseVersion'
  | 'settings'
  | 'state'
  | 'requestedBy'
> & { outcomeReason?: string; appliedVersion?: number | null };

export async function insertEndorsement(tx: pg.PoolClient, e: NewEndorsement): Promise<void> {
  try {
    await tx.query(
      `INSERT INTO endorsements (id, agent_id, rule_text, conflict_kind, target, change, reason, base_version, settings, state, requested_by, outcome_reason, applied_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        e.id,
        e.agentId,
        e.ruleText,
        e.conflictKind,
        e.target,
        e.change ? JSON.stringify(e.change) : null,
        e.reason,
        e.baseVersion,
        JSON.stringify(e.settings),
        e.state,
        e.requestedBy,
        e.outcomeReason ?? null,
        e.appliedVersion ?? null,
      ],
    );
  } catch (error) {
    if ((error as { code?: string }).code === '23505' && e.target) {
      throw conflict(`an endorsement for ${e.agentId}/${e.target} is already open`);
    }
    throw error;
  }
}

export interface Transition {
  endorsementId: string;
  from: EndorsementState[];
  to: EndorsementState;
  /** The principal acting; must hold the agent's operator role. Null for the system (timer, critical sample). */
  actor: string | null;
  provenanceKind: string;
  payload?: Record<string, unknown>;
  /** Apply the endorsement's change as a new kernel version (approve, promote). */
  apply?: boolean;
  decision?: Decision;
  stage?: { stagedAtMs: number; deadlineMs: number; capMs: number };
  outcome?: { reason: string; score?: number | null };
}

/**
 * Moves an endorsement from one of `from` to `to`, in one transaction with its provenance entry
 * and (for approve/promote) the new kernel version. Retry-safe: an endorsement already in `to`
 * is returned as it is, so a retried activity neither applies nor records twice.
 */
export async function transitionEndorsement(
  tx: pg.PoolClient,
  provenanceKey: string,
  t: Transition,
): Promise<EndorsementRecord> {
  const current = await requireEndorsement(tx, t.endorsementId, true);
  if (current.state === t.to) return current;
  if (!t.from.includes(current.state)) {
    throw conflict(`endorsement ${t.endorsementId} is ${current.state}; it cannot become ${t.to}`);
  }
  if (t.actor !== null) await requireOperator(tx, current.agentId, t.actor);
  let appliedVersion: number | null = current.appliedVersion;
  if (t.apply) {
    if (!current.change) throw conflict(`endorsement ${t.endorsementId} has no change to apply`);
    appliedVersion = await appendKernelVersion(tx, current.agentId, current.change, current.id);
  }
  const updated = await tx.query<Row>(
    `UPDATE endorsements SET state = $2, updated_at = now(), applied_version = $3,
        decision = COALESCE($4, decision), decided_by = CASE WHEN $4::text IS NULL THEN decided_by ELSE $5 END,
        staged_at = COALESCE($6, staged_at), deadline_at = COALESCE($7, deadline_at), cap_at = COALESCE($8, cap_at),
        outcome_reason = COALESCE($9, outcome_reason), outcome_score = COALESCE($10, outcome_score)
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      t.endorsementId,
      t.to,
      appliedVersion,
      t.decision ?? null,
      t.actor,
      t.stage ? new Date(t.stage.stagedAtMs) : null,
      t.stage ? new Date(t.stage.deadlineMs) : null,
      t.stage ? new Date(t.stage.capMs) : null,
      t.outcome?.reason ?? null,
      t.outcome?.score ?? null,
    ],
  );
  await appendProvenance(tx, provenanceKey, {
    kind: t.provenanceKind,
    subject: `endorsement:${t.endorsementId}`,
    actor: t.actor,
    payload: {
      agent: current.agentId,
      target: current.target,
      from: current.state,
      to: t.to,
      ...(appliedVersion !== current.appliedVersion ? { kernelVersion: appliedVersion } : {}),
      ...(t.outcome ? { reason: t.outcome.reason, score: t.outcome.score ?? null } : {}),
      ...t.payload,
    },
  });
  return fromRow(updated.rows[0]!);
}

/** Moves the cooldown deadline (and the cap, for an operator's extension); recorded in provenance. */
export async function extendCooldown(
  tx: pg.PoolClient,
  provenanceKey: string,
  input: {
    endorsementId: string;
    deadlineMs: number;
    capMs: number;
    actor: string | null;
    reason: string;
    idempotencyKey: string;
  },
): Promise<EndorsementRecord> {
  const current = await requireEndorsement(tx, input.endorsementId, true);
  if (current.state !== 'staged' && current.state !== 'inconclusive') {
    throw conflict(
      `endorsement ${input.endorsementId} is ${current.state}; only a staged or inconclusive one can be extended`,
    );
  }
  if (input.actor !== null) await requireOperator(tx, current.agentId, input.actor);
  const updated = await tx.query<Row>(
    `UPDATE endorsements SET state = 'staged', deadline_at = $2, cap_at = $3, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    [input.endorsementId, new Date(input.deadlineMs), new Date(input.capMs)],
  );
  await appendProvenance(tx, provenanceKey, {
    kind: 'endorsement.extended',
    subject: `endorsement:${input.endorsementId}`,
    actor: input.actor,
    payload: {
      agent: current.agentId,
      target: current.target,
      deadline: new Date(input.deadlineMs).toISOString(),
      cap: new Date(input.capMs).toISOString(),
      reason: input.reason,
    },
    idempotencyKey: input.idempotencyKey,
  });
  return fromRow(updated.rows[0]!);
}

/** Open endorsements first, then the most recently changed closed ones. */
export async function recentEndorsementIds(q: Queryable, closedLimit = 10): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `(SELECT id, updated_at FROM endorsements WHERE state IN ('pending', 'staged', 'inconclusive') ORDER BY updated_at DESC)
     UNION ALL
     (SELECT id, updated_at FROM endorsements WHERE state NOT IN ('pending', 'staged', 'inconclusive', 'registering')
       ORDER BY updated_at DESC LIMIT $1)`,
    [closedLimit],
  );
  return rows.map((r) => r.id);
}

/** `endorsement list` and the inbox: newest first, optionally only some states and one agent. */
export async function listEndorsements(
  q: Queryable,
  filter: { states?: readonly EndorsementState[]; agentId?: string; limit?: number } = {},
): Promise<EndorsementRecord[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM endorsements
      WHERE ($1::text[] IS NULL OR state = ANY($1::text[])) AND ($2::text IS NULL OR agent_id = $2) AND state <> 'registering'
      ORDER BY created_at DESC, id LIMIT $3`,
    [filter.states ? [...filter.states] : null, filter.agentId ?? null, filter.limit ?? 100],
  );
  return rows.map(fromRow);
}
