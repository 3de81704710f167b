import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { storeBuiltAbp, type StoredAbp } from './abp-build';
import { startReviewOpenedDelivery } from './review-opened-delivery';
import { findCurrentByAbpId, findLatestVersion, listVersions } from '../db/delegation/abps';
import { ActionCheckEngine, type ActionCheckRecord, type CheckCaller } from './action-check';
import { forgetToken, TokenRefusedError } from './verified-tokens';
import { IntakeCommit } from './intake-commit';
import { composeUnderParent, type ComposedAbps } from './abp-compose';
import { referencedAbp } from '../db/delegation/composition';
import { compositionGates, type ReferencedAbp } from '../domain/delegation/composition';
import { clearAgentDegradation, recordActionOutcome, type OutcomeRecord } from './action-outcome';
import { exportSinkFor } from './export-sink';
import { listExports } from '../db/delegation/exports';
import { storeIntakeBatches, type IntakeResult } from '../db/delegation/intake';
import { readTriggerCards, type TriggerCard } from '../db/delegation/trigger-cards';

export type { TriggerCard };
import { buildAbp, semanticProblems } from '../domain/delegation/build';
import { AbpSpecError } from '../domain/delegation/errors';
import { gateExportText, type GateResult } from '../domain/delegation/export-gates';
import { checkAbpIdentity } from '../domain/delegation/identity';
import { legacyIdOfSpec } from '../domain/delegation/legacy-identity';
import { IntakeBatchError, parseIntakeBatch, type IntakeKind } from '../domain/delegation/intake';
import { AbpSchema, type Abp } from '../domain/delegation/schema';
import { TriggerConditionError } from '../domain/delegation/trigger-conditions';
import { invalid, notFound } from '../domain/errors';
import { describeZodError } from '../domain/input/field-issues';
import { INGEST_PHASES, type ProgressCallback } from '../domain/progress';
import { waitMilliseconds } from '../domain/input/timer-duration';
import { WardenKind } from '../domain/search-attributes';
import { delegationEvaluationWorkflowRef, type EvaluationSummary } from '../workflows/delegation/contract';
import { requireAdmin } from './administrator';
import { PipelinedConnection } from '../db/pipelined-connection';
import type { WardenContext } from './context';
import { requestEvaluation, type EvaluationRequest } from './evaluation-requests';

export { evaluationResult } from './evaluation-requests';

/** User mistakes in ABP documents, batches and trigger conditions are bad input (HTTP 400, exit 2). */
export async function asBadInput<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AbpSpecError || error instanceof TriggerConditionError)
      throw invalid(error.message, error.problems);
    if (error instanceof IntakeBatchError) throw invalid(error.message, error.problems);
    throw error;
  }
}

const deps = (ctx: WardenContext) => ({
  pool: ctx.pool,
  provenanceKey: ctx.provenanceKey,
  exports: exportSinkFor(ctx.config, ctx.pool),
});

/**
 * `warden abp build`: validates the spec, computes id and hash, stores the version and makes it
 * current, for `actor`, who must hold the admin role (recorded as the actor).
 */
export async function buildAbpFromSpec(ctx: WardenContext, spec: unknown, actor: string | null): Promise<StoredAbp> {
  await requireAdmin(ctx.pool, actor, 'build ABPs');
  const abp = await asBadInput(() => buildAbp(spec, new Date().toISOString()));
  const legacyId = legacyIdOfSpec(spec, abp);
  const { childReviewsToAnnounce, ...stored } = await storeBuiltAbp(deps(ctx), abp, {
    source: 'build',
    actor,
    ...(legacyId ? { legacyId } : {}),
  });
  // The children of an ABP this one replaced have reviews now, stored without their workflow: they
  // are announced here, by their storer, and a monitor pass starts those whose deadline is near already.
  for (const review of childReviewsToAnnounce) await startReviewOpenedDelivery(ctx, review);
  if (stored.childReviews.length > 0)
    await evaluateAfterWrite(
      ctx,
      stored.childReviews.map((r) => r.abpId),
    );
  return stored;
}

export interface AbpView {
  abpId: string;
  status: 'active' | 'revoked' | 'replaced' | 'superseded';
  statusReason: string | null;
  replacedBy: string | null;
  abp: unknown;
  versions: Awaited<ReturnType<typeof listVersions>>;
  exports: Awaited<ReturnType<typeof listExports>>;
}

export async function showAbp(ctx: WardenContext, requestedId: string): Promise<AbpView> {
  const current = await findCurrentByAbpId(ctx.pool, requestedId);
  const latest = current ?? (await findLatestVersion(ctx.pool, requestedId));
  if (!latest) throw notFound(`ABP ${requestedId}`);
  // An id the ABP was re-issued away from shows the ABP under the id it has now.
  const abpId = current?.abpId ?? requestedId;
  return {
    abpId,
    status: current?.status ?? 'superseded',
    statusReason: current?.statusReason ?? null,
    replacedBy: current?.replacedBy ?? null,
    abp: latest.document,
    versions: await listVersions(ctx.pool, abpId),
    exports: await listExports(ctx.pool, abpId),
  };
}

export interface Verification {
  ok: boolean;
  abpId: string;
  abpHash: string | null;
  status: AbpView['status'];
  checks: GateResult[];
  exports: { exportId: string; fileName: string; gates: GateResult[] }[];
}

/** `warden abp verify`: recomputes hash and id of the stored ABP and runs the gates on every export as its sink holds it. */
export async function verifyAbp(ctx: WardenContext, abpId: string): Promise<Verification> {
  const view = await showAbp(ctx, abpId);
  const checks: GateResult[] = [];
  const parsed = AbpSchema.safeParse(view.abp);
  let abp: Abp | undefined;
  if (!parsed.success)
    checks.push({
      gate: 'abp.schema_valid',
      passed: false,
      detail: describeZodError(parsed.error, { whole: '(document)' }),
    });
  else {
    abp = parsed.data;
    checks.push({ gate: 'abp.schema_valid', passed: true, detail: 'ABP v1 schema' });
    const identity = checkAbpIdentity(abp);
    checks.push({
      gate: 'abp.hash_integrity',
      passed: identity.hashMatches,
      detail: identity.hashMatches ? 'hash recomputed' : `stored ${abp.hash}, recomputed ${identity.expectedHash}`,
    });
    checks.push({
      gate: 'abp.id_deterministic',
      passed: identity.idMatches,
      detail: identity.idMatches ? 'id recomputed' : `stored ${abp.abp_id}, recomputed ${identity.expectedId}`,
    });
    const problems = semanticProblems(abp);
    checks.push({
      gate: 'abp.no_contradictions',
      passed: problems.length === 0,
      detail: problems.join('; ') || 'consistent',
    });
    checks.push(...(await compositionChecks(ctx, abp)));
  }
  checks.push({
    gate: 'abp.status',
    passed: view.status === 'active',
    detail: view.statusReason ? `${view.status}: ${view.statusReason}` : view.status,
  });
  const referenceHash = abp?.hash ?? '';
  const sink = exportSinkFor(ctx.config, ctx.pool);
  const exports = [];
  for (const e of view.exports) {
    exports.push({
      exportId: e.exportId,
      fileName: e.fileName,
      gates: gateExportText(await sink.read(e), sink.where(e), referenceHash),
    });
  }
  const ok = checks.every((c) => c.passed) && exports.every((e) => e.gates.every((g) => g.passed));
  return { ok, abpId: view.abpId, abpHash: abp?.hash ?? null, status: view.status, checks, exports };
}

export interface ExportView {
  exportId: string;
  module: string;
  stamp: number;
  /** Where the sink keeps it (a table row or a file). */
  where: string;
  /** The document as stored; undefined when it is missing (`abp verify` says so). */
  document: unknown;
}

/** `warden abp export`: one export's document, from the sink every replica shares. */
export async function readExport(ctx: WardenContext, abpId: string, exportId: string): Promise<ExportView> {
  const view = await showAbp(ctx, abpId);
  const row = view.exports.find((e) => e.exportId === exportId);
  if (!row) throw notFound(`export ${exportId} of ${view.abpId}`);
  const sink = exportSinkFor(ctx.config, ctx.pool);
  const text = await sink.read(row);
  if (text === undefined) throw notFound(`the document of export ${exportId} (${sink.where(row)})`);
  return {
    exportId,
    module: row.module,
    stamp: row.stamp,
    where: sink.where(row),
    document: JSON.parse(text) as unknown,
  };
}

/** The composition references of `abp`, followed both ways (its parent, and each child it lists). */
async function compositionChecks(ctx: WardenContext, abp: Abp): Promise<GateResult[]> {
  const { parent_abp_id: parentId, parent_abp_hash: parentHash } = abp.composition;
  const parent = parentId === null ? null : await referencedAbp(ctx.pool, parentId, parentHash);
  const children = new Map<string, ReferencedAbp>();
  for (const c of abp.composition.children) children.set(c.abp_id, await referencedAbp(ctx.pool, c.abp_id, c.abp_hash));
  return compositionGates(abp, parent, children);
}

/** `warden abp compose`: lists the children in a new parent version and stamps each child with it. */
export async function composeAbp(
  ctx: WardenContext,
  parentId: string,
  childIds: unknown,
  actor: string | null,
): Promise<ComposedAbps> {
  return composeUnderParent(deps(ctx), parentId, childIds, actor);
}

const engines = new WeakMap<WardenContext, ActionCheckEngine>();

/** The context's action-check engine (its compiled ABPs and its group commit), made on first use. */
export function actionCheckEngine(ctx: WardenContext): ActionCheckEngine {
  let engine = engines.get(ctx);
  if (!engine) {
    // Its flushes go over a connection of its own, pipelined (ActionCheckEngine's constructor).
    const url = ctx.pool.options.connectionString;
    const pipeline = url ? { pipeline: new PipelinedConnection(url) } : {};
    engines.set(ctx, (engine = new ActionCheckEngine({ ...deps(ctx), ...pipeline })));
  }
  return engine;
}

const intakeCommits = new WeakMap<WardenContext, IntakeCommit>();

/** The context's intake group commit, made on first use. */
function intakeCommit(ctx: WardenContext): IntakeCommit {
  let commit = intakeCommits.get(ctx);
  if (!commit) intakeCommits.set(ctx, (commit = new IntakeCommit(deps(ctx))));
  return commit;
}

export interface AfterWriteOptions {
  /** Wait for the trigger evaluation the write causes and return its result (default: answer at once). */
  waitForEvaluation?: boolean;
}

/**
 * `warden action check`: runs the validators on the compiled ABP and answers once the verdict is
 * stored. A blocked irreversible action (what DRT-002 counts) has the triggers re-evaluated right
 * after, without the answer waiting for it unless `waitForEvaluation` asks to.
 */
export async function checkAbpAction(
  ctx: WardenContext,
  abpId: string,
  action: unknown,
  opts: AfterWriteOptions & { caller?: CheckCaller } = {},
): Promise<ActionCheckRecord & EvaluationReport> {
  const checking = actionCheckEngine(ctx).check(abpId, action, opts.caller);
  // close() settles deferred work: a context closing with checks in flight waits for their commit.
  ctx.deferred.add(checking);
  const record = await checking.catch((error: unknown) => {
    if (error instanceof TokenRefusedError && opts.caller?.tokenId) forgetToken(ctx, opts.caller.tokenId);
    throw error;
  });
  if (!(record.irreversible && record.decision === 'blocked'))
    return { ...record, evaluation: null, evaluationError: null };
  return { ...record, ...(await afterWrite(ctx, [record.abpId], opts)) };
}

/**
 * `warden action report`: records an allowed action's outcome and runs the post_action validators;
 * a blocked outcome of an irreversible action re-evaluates the triggers (it counts for DRT-002).
 */
export async function reportActionOutcome(
  ctx: WardenContext,
  abpId: string,
  checkId: string,
  outcome: unknown,
  actor: string | null = null,
): Promise<OutcomeRecord & EvaluationReport> {
  const record = await recordActionOutcome(deps(ctx), abpId, checkId, outcome, actor);
  if (!(record.irreversible && record.decision === 'blocked'))
    return { ...record, evaluation: null, evaluationError: null };
  return { ...record, ...(await evaluateAfterWrite(ctx, [record.abpId])) };
}

/** `warden action clear`: an operator lets an agent degraded by a post_action validator act again. */
export function clearDegradedAgent(
  ctx: WardenContext,
  abpId: string,
  agentId: string | null,
  c: { principal: string; reason: string },
) {
  return clearAgentDegradation(deps(ctx), abpId, agentId, c);
}

/**
 * `warden drift ingest`: stores the whole batch or nothing, then evaluates the triggers it
 * touches. `onProgress` (the CLI's bar) hears validating, storing and evaluating.
 */
export async function ingestEvidence(
  ctx: WardenContext,
  ndjson: string,
  opts: {
    kind?: IntakeKind;
    actor?: string | null;
    onProgress?: ProgressCallback;
    caller?: CheckCaller;
  } & AfterWriteOptions = {},
): Promise<IntakeResult & EvaluationReport> {
  const batch = await asBadInput(() => parseIntakeBatch(ndjson, opts.kind, opts.onProgress));
  // The actor (and a token taken from the API's cache) is checked in the transaction that stores the rows.
  const item = { batch, actor: opts.actor ?? null, tokenId: opts.caller?.tokenId ?? null };
  // A caller following progress (a large file from the CLI) has a transaction of its own; any
  // other shares one with the requests that arrive meanwhile (intake's group commit).
  const storing = opts.onProgress
    ? storeIntakeBatches(deps(ctx), [item], opts.onProgress).then(([result]) => result!)
    : intakeCommit(ctx).store(item);
  // close() settles deferred work: a context closing with intake in flight waits for its commit.
  ctx.deferred.add(storing);
  storing.catch((error: unknown) => {
    if (error instanceof TokenRefusedError && item.tokenId) forgetToken(ctx, item.tokenId);
  });
  const stored = await asBadInput(() => storing);
  opts.onProgress?.(0, undefined, INGEST_PHASES.evaluating);
  return { ...stored, ...(await afterWrite(ctx, batch.abpIds, opts)) };
}

/**
 * Evaluates the triggers of `abpIds` after a write: awaited when asked (a monitor pass of its own),
 * else asked of each ABP's coalescing evaluation workflow without waiting; the answer names the
 * requests whose results `evaluationResult` finds.
 */
async function afterWrite(ctx: WardenContext, abpIds: string[], opts: AfterWriteOptions): Promise<EvaluationReport> {
  if (opts.waitForEvaluation) return evaluateAfterWrite(ctx, abpIds);
  return { evaluation: null, evaluationError: null, evaluationRequests: requestEvaluation(ctx, abpIds) };
}

export interface EvaluationReport {
  /**
   * The monitor pass run right after the write when the caller waited for it; null when it could
   * not run (see evaluationError) or was not waited for (see evaluationRequests).
   */
  evaluation: (EvaluationSummary & { pending?: string }) | null;
  evaluationError: string | null;
  /** Not waited for: per ABP, the request id its evaluation answers under (`evaluationResult`). */
  evaluationRequests?: EvaluationRequest;
}

/**
 * The write has committed whatever happens here: when Temporal cannot be reached the result says
 * so, and the scheduled monitor pass evaluates the same evidence later.
 */
async function evaluateAfterWrite(ctx: WardenContext, abpIds: string[]): Promise<EvaluationReport> {
  try {
    return { evaluation: await runDelegationEvaluation(ctx, abpIds), evaluationError: null };
  } catch (error) {
    return { evaluation: null, evaluationError: error instanceof Error ? error.message : String(error) };
  }
}

/** `warden triggers`: one card per trigger of the ABP's current version. */
export async function triggerCards(ctx: WardenContext, abpId: string): Promise<TriggerCard[]> {
  const current = await findCurrentByAbpId(ctx.pool, abpId);
  if (!current) throw notFound(`current ABP ${abpId}`);
  const abp = AbpSchema.parse(current.document);
  return asBadInput(() => readTriggerCards(ctx.pool, abp));
}

/**
 * A monitor run's id says what it looked at and when, so the Temporal UI's list reads:
 * `monitor-ABP-fa736dd6-20261130T051500Z-1a2b3c` (or `monitor-all-…`). Runs started before keep
 * their `delegation-evaluation-<uuid>` ids; only new runs get these.
 */
export function monitorRunId(abpIds?: string[], now = new Date()): string {
  const scope = abpIds === undefined ? 'all' : abpIds.length <= 2 ? abpIds.join('+') : `${abpIds.length}-abps`;
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `monitor-${scope}-${stamp}-${randomUUID().slice(0, 6)}`;
}

/**
 * Runs one monitor pass now (the same workflow the Schedule runs). Waits up to `waitMs` for it:
 * with no worker running the pass stays queued and the result names it as pending.
 */
export async function runDelegationEvaluation(
  ctx: WardenContext,
  abpIds?: string[],
  opts: { waitMs?: number } = {},
): Promise<EvaluationSummary & { pending?: string }> {
  const waitMs = z.object({ waitMs: waitMilliseconds().default(30_000) }).parse({ waitMs: opts.waitMs }).waitMs;
  const handle = await startDelegationEvaluation(ctx, abpIds);
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), waitMs);
  });
  try {
    const outcome = await Promise.race([handle.result(), waited]);
    return outcome === 'pending'
      ? { opened: [], queued: [], started: [], tripped: [], periodic: [], underReview: [], pending: handle.workflowId }
      : outcome;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts one monitor pass over `abpIds` (all active ABPs when absent) without waiting for it. */
function startDelegationEvaluation(ctx: WardenContext, abpIds?: string[]) {
  return ctx.temporal.workflow.start(delegationEvaluationWorkflowRef, {
    taskQueue: ctx.taskQueue,
    workflowId: monitorRunId(abpIds),
    args: [{ abpIds }],
    typedSearchAttributes: [{ key: WardenKind, value: 'monitor' }],
    staticSummary: abpIds ? `Delegation trigger evaluation for ${abpIds.join(', ')}` : 'Delegation trigger evaluation',
  });
}

export const DELEGATION_MONITOR_SCHEDULE = 'warden-delegation-monitor';

/** The Schedule that evaluates every trigger every `every` (default 5 minutes); created once. */
export async function ensureDelegationMonitorSchedule(
  ctx: WardenContext,
  opts: { scheduleId?: string; every?: string; abpIds?: string[] } = {},
): Promise<boolean> {
  try {
    await ctx.temporal.schedule.create({
      scheduleId: opts.scheduleId ?? DELEGATION_MONITOR_SCHEDULE,
      spec: { intervals: [{ every: (opts.every ?? '5 minutes') as '5 minutes' }] },
      action: {
        type: 'startWorkflow',
        workflowType: delegationEvaluationWorkflowRef,
        taskQueue: ctx.taskQueue,
        args: [{ abpIds: opts.abpIds }],
        typedSearchAttributes: [{ key: WardenKind, value: 'monitor' }],
        staticSummary: 'Scheduled delegation trigger evaluation',
      },
      policies: { overlap: 'SKIP' },
      memo: { purpose: 'Evaluates DRT triggers of every active ABP and opens reviews' },
    });
    return true;
  } catch (error) {
    // The SDK is loaded here, not at the top: `warden action check` and other database-only
    // commands import this module and never reach Temporal.
    const { ScheduleAlreadyRunning } = await import('@temporalio/client');
    if (error instanceof ScheduleAlreadyRunning) return false;
    throw error;
  }
}
