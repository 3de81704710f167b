import type pg from 'pg';
import { appendProvenance, withProvenanceTransaction } from '../provenance/log';
import { type Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import { parseAgentId } from '../../domain/endorsement/identifiers';
import {
  DEFAULT_SETTINGS,
  endorsementSettingsSchema,
  mergeSettings,
  type EndorsementSettings,
  type AgentSettings,
} from '../../domain/endorsement/settings';
import { conflict, notFound } from '../../domain/errors';
import { bundledKernel } from '../../domain/kernel/default-kernel';
import {
  applyKernelChange,
  kernelDefinitionSchema,
  type KernelChange,
  type KernelDefinition,
} from '../../domain/kernel/definition';
import { DEFAULT_PROBE_BATTERY, probeBatterySchema, type Probe } from '../../domain/kernel/probe-battery';

export interface Agent {
  id: string;
  settings: EndorsementSettings;
  probeBattery: Probe[] | null;
  currentVersion: number;
  createdAt: string;
}

export interface KernelVersion {
  agentId: string;
  version: number;
  definition: KernelDefinition;
  endorsementId: string | null;
  createdAt: string;
}

interface AgentRow {
  id: string;
  settings: unknown;
  probe_battery: unknown;
  current_version: number;
  created_at: Date;
}

function agentFromRow(r: AgentRow): Agent {
  return {
    ...camelRow(r),
    settings: endorsementSettingsSchema.parse(r.settings),
    probeBattery: r.probe_battery === null ? null : probeBatterySchema.parse(r.probe_battery),
  };
}

export async function requireAgent(q: Queryable, id: string, lock = false): Promise<Agent> {
  const { rows } = await q.query<AgentRow>(
    `SELECT id, settings, probe_battery, current_version, created_at FROM agents WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  if (!rows[0]) throw notFound(`agent "${id}"`);
  return agentFromRow(rows[0]);
}

/** `agent list`: every agent, oldest first. */
export async function listAgents(q: Queryable): Promise<Agent[]> {
  const { rows } = await q.query<AgentRow>(
    'SELECT id, settings, probe_battery, current_version, created_at FROM agents ORDER BY created_at, id',
  );
  return rows.map(agentFromRow);
}

export async function loadKernelVersion(q: Queryable, agentId: string, version?: number): Promise<KernelVersion> {
  const { rows } = await q.query<{
    agent_id: string;
    version: number;
    definition: unknown;
    endorsement_id: string | null;
    created_at: Date;
  }>(
    version === undefined
      ? `SELECT k.agent_id, k.version, k.definition, k.endorsement_id, k.created_at
           FROM kernel_versions k JOIN agents a ON a.id = k.agent_id AND a.current_version = k.version WHERE k.agent_id = $1`
      : `SELECT agent_id, version, definition, endorsement_id, created_at FROM kernel_versions WHERE agent_id = $1 AND version = $2`,
    version === undefined ? [agentId] : [agentId, version],
  );
  const row = rows[0];
  // Every agent is created with its first version, so no current version means no such agent.
  if (!row)
    throw notFound(version === undefined ? `agent "${agentId}"` : `kernel of agent "${agentId}" version ${version}`);
  return { ...camelRow(row), definition: kernelDefinitionSchema.parse(row.definition) };
}

/** The agent's row and its first kernel version; false (nothing written) when the id is taken. */
export async function insertAgent(
  tx: pg.PoolClient,
  id: string,
  kernel: KernelDefinition,
  settings: EndorsementSettings,
  probes: readonly Probe[] | null,
): Promise<boolean> {
  const inserted = await tx.query(
    `INSERT INTO agents (id, settings, probe_battery) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
    [id, JSON.stringify(settings), probes === null ? null : JSON.stringify(probes)],
  );
  if (inserted.rowCount !== 1) return false;
  await tx.query(`INSERT INTO kernel_versions (agent_id, version, definition) VALUES ($1, 1, $2)`, [
    id,
    JSON.stringify(kernel),
  ]);
  return true;
}

export interface CreateAgentInput {
  id: string;
  kernel?: string;
  /** Overrides of the default settings, and the role that operates the agent's endorsements (default operator). */
  settings?: AgentSettings;
  /** Default true: the bundled kernel's probe battery. False: none, so the no-probe penalty applies. */
  probes?: boolean;
}

/** Creates an agent and its first kernel version; `actor` (who created it) is recorded in provenance. */
export async function createAgent(
  pool: pg.Pool,
  provenanceKey: string,
  input: CreateAgentInput,
  actor: string | null,
): Promise<{ agent: Agent; kernel: KernelVersion }> {
  const id = parseAgentId(input.id, 'id');
  const kernel = bundledKernel(input.kernel ?? 'default');
  const settings = mergeSettings(DEFAULT_SETTINGS, input.settings);
  const probes = input.probes === false ? null : DEFAULT_PROBE_BATTERY;
  return withProvenanceTransaction(pool, async (tx) => {
    if (!(await insertAgent(tx, id, kernel, settings, probes))) throw conflict(`agent "${id}" already exists`);
    await appendProvenance(tx, provenanceKey, {
      kind: 'agent.created',
      subject: `agent:${id}`,
      actor,
      payload: { kernel: kernel.name, version: 1, probeBattery: probes !== null, settings },
    });
    return { agent: await requireAgent(tx, id), kernel: await loadKernelVersion(tx, id) };
  });
}

/**
 * Appends the next kernel version with a compare-and-set on the agent's version number, inside
 * the caller's transaction. The change is applied on top of whatever version is current, so an
 * unrelated change that landed meanwhile is kept, never overwritten. Returns the new version.
 */
export async function appendKernelVersion(
  tx: pg.PoolClient,
  agentId: string,
  change: KernelChange,
  endorsementId: string,
): Promise<number> {
  const current = await loadKernelVersion(tx, agentId);
  const next = current.version + 1;
  const definition = applyKernelChange(current.definition, change);
  const moved = await tx.query('UPDATE agents SET current_version = $2 WHERE id = $1 AND current_version = $3', [
    agentId,
    next,
    current.version,
  ]);
  if (moved.rowCount !== 1) throw conflict(`kernel of agent "${agentId}" changed concurrently; retry`);
  await tx.query(
    'INSERT INTO kernel_versions (agent_id, version, definition, endorsement_id) VALUES ($1, $2, $3, $4)',
    [agentId, next, JSON.stringify(definition), endorsementId],
  );
  return next;
}
