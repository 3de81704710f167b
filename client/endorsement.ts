import { randomBytes } from 'node:crypto';
import type { CheckCaller } from './action-check';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import { z } from 'zod';
import {
  createAgent as insertAgent,
  listAgents,
  loadKernelVersion,
  requireAgent,
  type CreateAgentInput,
  type KernelVersion,
} from '../db/endorsement/agents';
import { toStorableText } from '../domain/input/storable-text';
import {
  listEndorsements,
  listOpenEndorsements,
  requireEndorsement,
  type EndorsementRecord,
} from '../db/endorsement/endorsements';
import { createModelGateway, type ModelGateway } from '../models/model-gateway';
import { endorseAction, requireOperator } from '../db/endorsement/operator-role';
import {
  evidenceOf,
  recordExchange,
  sampleOutcomes,
  wakeUpLost,
  type SampleOutcome,
} from '../db/endorsement/shadow-samples';
import { requirePrincipal } from '../db/access/principals';
import { ADMIN_ROLE, requireRole } from '../domain/authorization';
import { listProvenance } from '../db/provenance/log';
import { meanDivergence } from '../domain/endorsement/cooldown';
import { chatMessageSchema } from '../domain/endorsement/endorsement-request';
import { newEndorsementId, parseAgentId } from '../domain/endorsement/identifiers';
import { waitMilliseconds } from '../domain/input/timer-duration';
import type { EndorsementSettings, SettingsOverrides } from '../domain/endorsement/settings';
import {
  OPEN_STATES,
  refusalReason,
  WATCHING_STATES,
  type Decision,
  type EndorsementState,
  type OperatorAction,
} from '../domain/endorsement/states';
import { conflict, invalid } from '../domain/errors';
import { requireCommitment, type KernelDefinition, type PlasticCommitment } from '../domain/kernel/definition';
import { AgentId, WardenKind, WardenState } from '../domain/search-attributes';
import {
  abortUpdate,
  awaitRegistrationUpdate,
  decideUpdate,
  decisionSchema,
  endorsementRequestSchema,
  endorsementStateQuery,
  endorsementWorkflowRef,
  extendInputSchema,
  extendUpdate,
  operatorInputSchema,
  promoteUpdate,
  shadowSamplesPendingSignal,
  type EndorsementView,
  type EndorsementWorkflowInput,
  type RegistrationView,
} from '../workflows/endorsement/contract';
import type { WardenContext } from './context';

export type { EndorsementView };

/** Raised by `chat` with waitForShadow when the staged change's shadow answer was critical. */
export class CriticalSandboxDivergenceError extends Error {
  constructor(
    readonly reason: string,
    readonly score: number,
    readonly liveResponse: string,
    readonly endorsementId: string,
  ) {
    super(`staged change ${endorsementId} rejected: ${reason}`);
    this.name = 'CriticalSandboxDivergenceError';
  }
}

/** Creating an agent administers Warden: `actor` must hold the admin role, and is recorded. */
export async function createAgent(ctx: WardenContext, input: CreateAgentInput, actor: string) {
  requireRole(await requirePrincipal(ctx.pool, actor), [ADMIN_ROLE], 'create agents');
  return insertAgent(ctx.pool, ctx.provenanceKey, input, actor);
}

export interface EndorseOptions {
  /** The commitment the rule changes, when no keyword gives it away. */
  commitment?: string;
  /** The commitment's new value (default: the rule text). */
  value?: string;
  /** Per-endorsement overrides of the agent's settings. */
  settings?: SettingsOverrides;
  /**
   * Who proposes the rule: must hold the agent's operatorRole (default `operator`), and is
   * recorded as the actor. Defaults to the principal of `decide`; one of the two is required.
   */
  requestedBy?: string;
  /** Decide at once (the CLI's --decide / a TTY answer). */
  decide?: { decision: Decision; principal: string; rationale?: string };
  tuning?: EndorsementWorkflowInput['tuning'];
}

export interface EndorseResult {
  endorsementId: string;
  /** The rule as proposed (trimmed). */
  rule: string;
  state: EndorsementView['state'];
  conflict: { kind: RegistrationView['conflictKind']; target: string | null; reason: string };
  view: EndorsementView;
}

type Handle = WorkflowHandle<typeof endorsementWorkflowRef>;

function handleFor(ctx: WardenContext, id: string): Handle {
  return ctx.temporal.workflow.getHandle<typeof endorsementWorkflowRef>(id);
}

/**
 * Starts the endorsement's workflow with the Update that waits for its registration, in one call
 * (update-with-start), and answers with the state after it. A workflow that has closed (its
 * registration failed) answers with its result, which is that failure.
 */
async function startAndAwaitRegistration(
  ctx: WardenContext,
  options: WorkflowStartOptions<typeof endorsementWorkflowRef>,
): Promise<{ handle: Handle; view: EndorsementView }> {
  // Loaded here, not at the top: commands that only read the database never load the SDK.
  const { WithStartWorkflowOperation } = await import('@temporalio/client');
  const start = new WithStartWorkflowOperation(endorsementWorkflowRef, {
    ...options,
    workflowIdConflictPolicy: 'FAIL',
  });
  try {
    const view = await ctx.temporal.workflow.executeUpdateWithStart(awaitRegistrationUpdate, {
      startWorkflowOperation: start,
    });
    return { handle: await start.workflowHandle(), view };
  } catch (error) {
    const handle = await start.workflowHandle().catch(() => undefined);
    const d = await handle?.describe().catch(() => undefined);
    if (handle && d && d.status.name !== 'RUNNING') return { handle, view: await handle.result() };
    throw error;
  }
}

/**
 * Proposes a rule for an agent. Bad input is refused before any workflow starts; then one
 * workflow per endorsement detects the conflict and records the outcome.
 */
export async function endorseRule(
  ctx: WardenContext,
  agentId: string,
  rule: string,
  opts: EndorseOptions = {},
): Promise<EndorseResult> {
  const agent = parseAgentId(agentId);
  // Everything the workflow and its registration will store is checked before it starts.
  const fields = endorsementRequestSchema.parse({
    rule,
    commitment: opts.commitment,
    value: opts.value,
    settings: opts.settings,
    requestedBy: opts.requestedBy,
    decide: opts.decide,
  });
  const text = fields.rule;
  const settings = fields.settings;
  // Also the check that the agent exists.
  const kernel = await loadKernelVersion(ctx.pool, agent);
  // Proposing changes the agent (a rule that conflicts with nothing is applied at once), so it
  // needs the agent's operator role like deciding does; refused before any workflow starts, and
  // checked again by the registration activity.
  const proposer = fields.requestedBy ?? fields.decide?.principal;
  if (!proposer)
    throw invalid('requestedBy: endorsing a rule acts for a person: name the principal who proposes it (--as)');
  if (fields.decide) await requireOperator(ctx.pool, agent, fields.decide.principal);
  if (proposer !== fields.decide?.principal) await requireOperator(ctx.pool, agent, proposer, endorseAction(agent));
  if (opts.commitment) {
    try {
      requireCommitment(kernel.definition, opts.commitment);
    } catch (error) {
      throw invalid(`commitment: ${(error as Error).message}`);
    }
  }
  const id = newEndorsementId(agent, new Date(), randomBytes(2).toString('hex'));
  const input: EndorsementWorkflowInput = {
    endorsementId: id,
    agentId: agent,
    ruleText: text,
    ...(opts.commitment ? { commitment: opts.commitment } : {}),
    ...(opts.value ? { value: opts.value } : {}),
    ...(settings ? { settings } : {}),
    requestedBy: proposer,
    // A decision needs a conflict to decide: a rule that conflicts with nothing is then refused, not applied.
    ...(opts.decide ? { requireConflict: true } : {}),
    ...(opts.tuning ? { tuning: opts.tuning } : {}),
  };
  const started = await startAndAwaitRegistration(ctx, {
    workflowId: id,
    taskQueue: ctx.taskQueue,
    args: [input],
    typedSearchAttributes: [
      { key: WardenKind, value: 'endorsement' },
      { key: WardenState, value: 'registering' },
      { key: AgentId, value: agent },
    ],
    staticSummary: `Endorse for ${agent}: "${text.length > 80 ? `${text.slice(0, 77)}...` : text}"`,
    staticDetails: `Staged endorsement of a kernel change for agent ${agent}. Query "state" for the full state.`,
  });
  const handle = started.handle;
  let view = started.view;
  const reg = view.registration!;
  if (reg.outcome === 'duplicate') {
    throw conflict(`${reg.reason}; decide, promote or abort it first`, { openEndorsementId: reg.openEndorsementId });
  }
  if (reg.outcome === 'no_conflict') {
    throw invalid(
      `decide: ${reg.reason}, so there is nothing to decide and nothing was applied; endorse it without a decision to add it as a new kernel version`,
    );
  }
  if (opts.decide && view.state === 'pending') view = await handle.executeUpdate(decideUpdate, { args: [opts.decide] });
  return {
    endorsementId: id,
    rule: text,
    state: view.state,
    conflict: { kind: reg.conflictKind, target: reg.target, reason: reg.reason },
    view,
  };
}

const operatorArgs = operatorInputSchema;

/**
 * Sends an Update to an endorsement's workflow for a principal holding the agent's operator role.
 * A closed workflow cannot take Updates; the refusal then names the endorsement's final state
 * instead of Temporal's generic message.
 */
async function steer(
  ctx: WardenContext,
  id: string,
  action: OperatorAction,
  principal: string,
  send: (h: Handle) => Promise<EndorsementView>,
): Promise<EndorsementView> {
  const before = await requireEndorsement(ctx.pool, id);
  await requireOperator(ctx.pool, before.agentId, principal);
  const refuse = (state: EndorsementState) => conflict(refusalReason(id, state, action));
  if (action === 'decide' ? before.state !== 'pending' : !WATCHING_STATES.includes(before.state))
    throw refuse(before.state);
  try {
    return await send(handleFor(ctx, id));
  } catch (error) {
    const after = await requireEndorsement(ctx.pool, id);
    if (after.state !== before.state && !OPEN_STATES.includes(after.state)) throw refuse(after.state);
    throw error;
  }
}

export async function decide(
  ctx: WardenContext,
  id: string,
  decision: Decision,
  principal: string,
  rationale?: string,
): Promise<EndorsementView> {
  const d = decisionSchema.parse({ decision }).decision;
  const args = operatorArgs.parse({ principal, rationale });
  return steer(ctx, id, 'decide', args.principal, (h) =>
    h.executeUpdate(decideUpdate, { args: [{ decision: d, ...args }] }),
  );
}

export interface PromoteOptions {
  /**
   * Promote although the evidence rule (cooldown elapsed, enough samples, none critical, mean
   * below l2) is not met yet; needs a rationale, and is recorded as an override.
   */
  override?: boolean;
}

export async function promote(
  ctx: WardenContext,
  id: string,
  principal: string,
  rationale?: string,
  opts: PromoteOptions = {},
): Promise<EndorsementView> {
  const args = operatorArgs.parse({ principal, rationale });
  if (opts.override && !args.rationale?.trim()) {
    throw invalid('rationale: required with override (say why the change is promoted before the evidence rule is met)');
  }
  return steer(ctx, id, 'promote', args.principal, (h) =>
    h.executeUpdate(promoteUpdate, { args: [{ ...args, ...(opts.override ? { override: true } : {}) }] }),
  );
}

export async function abort(
  ctx: WardenContext,
  id: string,
  principal: string,
  rationale?: string,
): Promise<EndorsementView> {
  const args = operatorArgs.parse({ principal, rationale });
  return steer(ctx, id, 'abort', args.principal, (h) => h.executeUpdate(abortUpdate, { args: [args] }));
}

export async function extend(
  ctx: WardenContext,
  id: string,
  principal: string,
  seconds?: number,
): Promise<EndorsementView> {
  const args = extendInputSchema.parse({ principal, seconds });
  return steer(ctx, id, 'extend', args.principal, (h) => h.executeUpdate(extendUpdate, { args: [args] }));
}

export interface AgentListItem {
  id: string;
  kernelVersion: number;
  operatorRole: string;
  probes: boolean;
  createdAt: string;
}

/** `agent list`: every agent with its kernel version and the role that steers its endorsements. */
export async function agents(ctx: WardenContext): Promise<AgentListItem[]> {
  return (await listAgents(ctx.pool)).map((a) => ({
    id: a.id,
    kernelVersion: a.currentVersion,
    operatorRole: a.settings.operatorRole,
    probes: a.probeBattery !== null,
    createdAt: a.createdAt,
  }));
}

/** `endorsement list`: newest first, optionally only some states and one agent. */
export function endorsements(
  ctx: WardenContext,
  filter: { states?: readonly EndorsementState[]; agentId?: string; limit?: number } = {},
): Promise<EndorsementRecord[]> {
  return listEndorsements(ctx.pool, filter);
}

export interface EndorsementReport extends EndorsementRecord {
  samples: {
    scored: number;
    pending: number;
    failed: number;
    critical: number;
    meanDivergence: number | null;
    maxDivergence: number | null;
    meanDrift: number | null;
  };
  timeLeftSeconds: number | null;
  /** The probe battery's verdict on the sandbox at staging (from the provenance log). */
  probes: Record<string, unknown> | null;
}

/** State, samples, mean/max divergence and time left, from the database (works for closed ones too). */
export async function showEndorsement(ctx: WardenContext, id: string): Promise<EndorsementReport> {
  const [e, ev, probed] = await Promise.all([
    requireEndorsement(ctx.pool, id),
    evidenceOf(ctx.pool, id),
    listProvenance(ctx.pool, { subject: `endorsement:${id}`, kind: 'endorsement.probed', limit: 1 }),
  ]);
  const open = e.state === 'staged' && e.deadlineAt !== null;
  return {
    ...e,
    samples: {
      scored: ev.count,
      pending: ev.pending,
      failed: ev.failed,
      critical: ev.critical,
      meanDivergence: meanDivergence(ev),
      maxDivergence: ev.count > 0 ? ev.max : null,
      meanDrift: ev.meanDrift,
    },
    timeLeftSeconds: open ? Math.max(0, Math.round((Date.parse(e.deadlineAt!) - Date.now()) / 1000)) : null,
    probes: probed[0]?.payload ?? null,
  };
}

export async function endorsementState(ctx: WardenContext, id: string): Promise<EndorsementView> {
  return handleFor(ctx, id).query(endorsementStateQuery);
}

export interface KernelReport {
  agentId: string;
  version: number;
  changedBy: string | null;
  kernel: KernelDefinition;
  settings: EndorsementSettings;
  probeBattery: boolean;
  openEndorsements: Awaited<ReturnType<typeof listOpenEndorsements>>;
  /**
   * The seed's kernel.get_commitment(name): the current version's plastic commitment (its value
   * is what an endorsement changed); an unknown name is refused, listing the known ones.
   * Not enumerable, so the report serialises (CLI --json, HTTP) without it.
   */
  getCommitment(name: string): PlasticCommitment;
}

export async function showKernel(ctx: WardenContext, agentId: string): Promise<KernelReport> {
  const agent = await requireAgent(ctx.pool, parseAgentId(agentId));
  const kernel = await loadKernelVersion(ctx.pool, agent.id);
  const report = {
    agentId: agent.id,
    version: kernel.version,
    changedBy: kernel.endorsementId,
    kernel: kernel.definition,
    settings: agent.settings,
    probeBattery: agent.probeBattery !== null,
    openEndorsements: await listOpenEndorsements(ctx.pool, agent.id),
  };
  const getCommitment = (name: string) => requireCommitment(kernel.definition, name);
  return Object.defineProperty(report, 'getCommitment', { value: getCommitment, enumerable: false }) as KernelReport;
}

export interface ChatOptions {
  /** Wait for the shadow sample(s) of this message to be scored. */
  waitForShadow?: boolean;
  /** How long waitForShadow waits at most (default 60 s). */
  shadowTimeoutMs?: number;
  /** Source of the one uniform draw each staged endorsement's sampling rate is compared with (tests pass a fixed one). */
  random?: () => number;
}

export interface ChatResult {
  content: string;
  exchangeId: string;
  kernelVersion: number;
  model: string;
  /** Largest divergence of this message's scored shadow answers; null when not waited for or none was scored. */
  sandboxDivergence: number | null;
  /** With waitForShadow: one outcome per staged change; `pending` ones were not scored within shadowTimeoutMs. */
  shadows: SampleOutcome[];
}

/**
 * The exchange's shadow outcomes once none is pending, or as they stand when the wait runs out:
 * the live answer is already given, so a slow scorer leaves samples `pending` in the answer
 * rather than failing a chat that succeeded.
 */
async function waitForSamples(ctx: WardenContext, exchangeId: string, timeoutMs: number): Promise<SampleOutcome[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const outcomes = await sampleOutcomes(ctx.pool, exchangeId);
    if (outcomes.every((o) => o.status !== 'pending') || Date.now() > until) return outcomes;
    await sleep(100);
  }
}

async function waitForState(
  ctx: WardenContext,
  id: string,
  states: string[],
  timeoutMs: number,
): Promise<EndorsementRecord> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const e = await requireEndorsement(ctx.pool, id);
    if (states.includes(e.state) || Date.now() > until) return e;
    await sleep(100);
  }
}

const chatMessage = z.object({ message: chatMessageSchema });

const gateways = new WeakMap<WardenContext['config']['models'], ModelGateway>();

/** One gateway (and remote client) per configuration, not one per chat. */
export function modelsOf(ctx: WardenContext): ModelGateway {
  let models = gateways.get(ctx.config.models);
  if (!models) gateways.set(ctx.config.models, (models = createModelGateway(ctx.config.models)));
  return models;
}

async function wakeEndorsement(ctx: WardenContext, endorsementId: string): Promise<void> {
  try {
    await handleFor(ctx, endorsementId).signal(shadowSamplesPendingSignal);
  } catch (error) {
    await wakeUpLost(ctx.pool, endorsementId);
    throw error;
  }
}

/** The agent's current (production) kernel; fails as "agent not found" for an unknown agent. */
export async function productionKernel(ctx: WardenContext, agentId: string): Promise<KernelVersion> {
  return loadKernelVersion(ctx.pool, parseAgentId(agentId));
}

export interface LiveExchange {
  prompt: string;
  /** The live answer, already given (or about to be) to the caller: shadowing never changes it. */
  response: string;
  model: string;
}

/**
 * Records one live exchange and queues it as a shadow sample for every staged endorsement of the
 * agent (by id; the text stays in PostgreSQL), waking each at most once per batch. Shared by
 * `chat` and the agent gateways (OpenAI-compatible endpoint, LiteLLM guardrail, AI SDK).
 */
export async function recordLiveExchange(
  ctx: WardenContext,
  kernel: KernelVersion,
  exchange: LiveExchange,
  random: () => number = Math.random,
  caller: CheckCaller = {},
): Promise<{ exchangeId: string; queued: { endorsementId: string }[] }> {
  const prompt = chatMessage.parse({ message: exchange.prompt }).message;
  const { exchangeId, queued } = await recordExchange(
    ctx.pool,
    {
      agentId: kernel.agentId,
      kernelVersion: kernel.version,
      prompt,
      response: toStorableText(exchange.response),
      model: exchange.model,
    },
    random(),
    caller.tokenId ?? null,
  );
  // Not awaited: the answer does not wait for a Temporal round trip. One signal per batch (the
  // wake flag), so a failed one lowers the flag again for the next chat to retry.
  for (const q of queued) if (q.wake) ctx.deferred.add(wakeEndorsement(ctx, q.endorsementId));
  return { exchangeId, queued };
}

/**
 * The live path: answers from the production kernel at once. Each staged endorsement of the
 * agent gets the exchange as a shadow sample. Only with waitForShadow does the caller wait for
 * the scores.
 */
export async function chat(
  ctx: WardenContext,
  agentId: string,
  message: string,
  opts: ChatOptions = {},
): Promise<ChatResult> {
  const kernel = await productionKernel(ctx, agentId);
  const prompt = chatMessage.parse({ message }).message;
  const timeoutMs = z
    .object({ shadowTimeoutMs: waitMilliseconds().default(60_000) })
    .parse({ shadowTimeoutMs: opts.shadowTimeoutMs }).shadowTimeoutMs;
  const models = modelsOf(ctx);
  const content = await models.reply(kernel.definition, prompt);
  const { exchangeId, queued } = await recordLiveExchange(
    ctx,
    kernel,
    { prompt, response: content, model: models.chatModel },
    opts.random,
  );
  const result: ChatResult = {
    content,
    exchangeId,
    kernelVersion: kernel.version,
    model: models.chatModel,
    sandboxDivergence: null,
    shadows: [],
  };
  if (!opts.waitForShadow || queued.length === 0) return result;
  const shadows = await waitForSamples(ctx, exchangeId, timeoutMs);
  const scores = shadows.map((s) => s.divergence).filter((d): d is number => d !== null);
  result.shadows = shadows;
  result.sandboxDivergence = scores.length > 0 ? Math.max(...scores) : null;
  const critical = shadows.find((s) => s.critical);
  if (critical) {
    await waitForState(ctx, critical.endorsementId, ['rejected', 'aborted', 'promoted'], timeoutMs);
    throw new CriticalSandboxDivergenceError(
      critical.reason ?? 'critical divergence',
      critical.divergence ?? 1,
      content,
      critical.endorsementId,
    );
  }
  return result;
}
