import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { storeBuiltAbp, type StoredAbp } from './abp-build';
import { findCurrentByAbpId, findLatestVersion, listVersions } from '../db/delegation/abps';
import { runActionCheck, type ActionCheckRecord } from './action-check';
import { gateFile } from '../export-files/gate-file';
import { listExports } from '../db/delegation/exports';
import { storeIntakeBatch, type IntakeResult } from '../db/delegation/intake';
import { readTriggerCards, type TriggerCard } from '../db/delegation/trigger-cards';

export type { TriggerCard };
import { requirePrincipal } from '../db/access/principals';
import { buildAbp, semanticProblems } from '../domain/delegation/build';
import { AbpSpecError } from '../domain/delegation/errors';
import type { GateResult } from '../domain/delegation/export-gates';
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
import type { WardenContext } from './context';

/** User mistakes in ABP documents, batches and trigger conditions are bad input (HTTP 400, exit 2). */
export async function asBadInput<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AbpSpecError || error instanceof TriggerConditionError) throw invalid(error.message, error.problems);
    if (error instanceof IntakeBatchError) throw invalid(error.message, error.problems);
    throw error;
  }
}

const deps = (ctx: WardenContext) => ({ pool: ctx.pool, provenanceKey: ctx.provenanceKey, exportDir: ctx.config.exportDir });

/**
 * `warden abp build`: validates the spec, computes id and hash, stores the version and makes it
 * current, for `actor`, who must hold the admin role (recorded as the actor).
 */
export async function buildAbpFromSpec(ctx: WardenContext, spec: unknown, actor: string | null): Promise<StoredAbp> {
  await requireAdmin(ctx.pool, actor, 'build ABPs');
  const abp = await asBadInput(() => buildAbp(spec, new Date().toISOString()));
  const legacyId = legacyIdOfSpec(spec, abp);
  return storeBuiltAbp(deps(ctx), abp, { source: 'build', actor, ...(legacyId ? { legacyId } : {}) });
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

/** `warden abp verify`: recomputes hash and id of the stored ABP and runs the gates on every export file. */
export async function verifyAbp(ctx: WardenContext, abpId: string): Promise<Verification> {
  const view = await showAbp(ctx, abpId);
  const checks: GateResult[] = [];
  const parsed = AbpSchema.safeParse(view.abp);
  let abp: Abp | undefined;
  if (!parsed.success) checks.push({ gate: 'abp.schema_valid', passed: false, detail: describeZodError(parsed.error, { whole: '(document)' }) });
  else {
    abp = parsed.data;
    checks.push({ gate: 'abp.schema_valid', passed: true, detail: 'ABP v1 schema' });
    const identity = checkAbpIdentity(abp);
    checks.push({ gate: 'abp.hash_integrity', passed: identity.hashMatches, detail: identity.hashMatches ? 'hash recomputed' : `stored ${abp.hash}, recomputed ${identity.expectedHash}` });
    checks.push({ gate: 'abp.id_deterministic', passed: identity.idMatches, detail: identity.idMatches ? 'id recomputed' : `stored ${abp.abp_id}, recomputed ${identity.expectedId}` });
    const problems = semanticProblems(abp);
    checks.push({ gate: 'abp.no_contradictions', passed: problems.length === 0, detail: problems.join('; ') || 'consistent' });
  }
  checks.push({ gate: 'abp.status', passed: view.status === 'active', detail: view.statusReason ? `${view.status}: ${view.statusReason}` : view.status });
  const referenceHash = abp?.hash ?? '';
  const exports = [];
  for (const e of view.exports) {
    exports.push({ exportId: e.exportId, fileName: e.fileName, gates: await gateFile(`${ctx.config.exportDir}/${e.fileName}`, referenceHash) });
  }
  const ok = checks.every((c) => c.passed) && exports.every((e) => e.gates.every((g) => g.passed));
  return { ok, abpId: view.abpId, abpHash: abp?.hash ?? null, status: view.status, checks, exports };
}

/** `warden action check`: runs the validators; a blocked irreversible action re-evaluates the triggers. */
export async function checkAbpAction(ctx: WardenContext, abpId: string, action: unknown): Promise<ActionCheckRecord & EvaluationReport> {
  const record = await runActionCheck(deps(ctx), abpId, action);
  if (!(record.irreversible && record.decision === 'blocked')) return { ...record, evaluation: null, evaluationError: null };
  return { ...record, ...(await evaluateAfterWrite(ctx, [abpId])) };
}

/**
 * `warden drift ingest`: stores the whole batch or nothing, then evaluates the triggers it
 * touches. `onProgress` (the CLI's bar) hears validating, storing and evaluating.
 */
export async function ingestEvidence(
  ctx: WardenContext,
  ndjson: string,
  opts: { kind?: IntakeKind; actor?: string | null; onProgress?: ProgressCallback } = {},
): Promise<IntakeResult & EvaluationReport> {
  if (opts.actor) await requirePrincipal(ctx.pool, opts.actor);
  const batch = await asBadInput(() => parseIntakeBatch(ndjson, opts.kind, opts.onProgress));
  const stored = await asBadInput(() => storeIntakeBatch(deps(ctx), batch, opts.actor ?? null, opts.onProgress));
  opts.onProgress?.(0, undefined, INGEST_PHASES.evaluating);
  return { ...stored, ...(await evaluateAfterWrite(ctx, batch.abpIds)) };
}

export interface EvaluationReport {
  /** The monitor pass run right after the write; null when it could not run (see evaluationError). */
  evaluation: (EvaluationSummary & { pending?: string }) | null;
  evaluationError: string | null;
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
 * Runs one monitor pass now (the same workflow the Schedule runs). Waits up to `waitMs` for it:
 * with no worker running the pass stays queued and the result names it as pending.
 */
export async function runDelegationEvaluation(
  ctx: WardenContext,
  abpIds?: string[],
  opts: { waitMs?: number } = {},
): Promise<EvaluationSummary & { pending?: string }> {
  const waitMs = z.object({ waitMs: waitMilliseconds().default(30_000) }).parse({ waitMs: opts.waitMs }).waitMs;
  const handle = await ctx.temporal.workflow.start(delegationEvaluationWorkflowRef, {
    taskQueue: ctx.taskQueue,
    workflowId: `delegation-evaluation-${randomUUID()}`,
    args: [{ abpIds }],
    typedSearchAttributes: [{ key: WardenKind, value: 'monitor' }],
    staticSummary: abpIds ? `Delegation trigger evaluation for ${abpIds.join(', ')}` : 'Delegation trigger evaluation',
  });
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), waitMs);
  });
  try {
    const outcome = await Promise.race([handle.result(), waited]);
    return outcome === 'pending' ? { opened: [], queued: [], started: [], tripped: [], periodic: [], pending: handle.workflowId } : outcome;
  } finally {
    clearTimeout(timer);
  }
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
