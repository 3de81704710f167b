import type { Queryable } from '../pool';
import { buildAbp } from '../../domain/delegation/build';
import { AbpSpecError } from '../../domain/delegation/errors';
import { gateExport, type ExportDocument, type GateResult } from '../../domain/delegation/export-gates';
import { patchAbp } from '../../domain/delegation/patch';
import type { Abp, ReviewOutputKind } from '../../domain/delegation/schema';
import { abpIdUsed, findCurrentByAbpId, scopeKey, scopeOwner, storedAbp, type CurrentAbp } from './abps';
import { exportDocument } from '../../domain/delegation/export-document';
import { listExports, type ExportRow } from './exports';
import { canonicalDigest } from '../../domain/delegation/digest';

/** A review output as stored: its kind, its document and when it was first named (a replacement's default clock). */
export interface PlannedOutput {
  kind: ReviewOutputKind;
  document: unknown;
  createdAt: string;
}

/**
 * What applying a review output to the ABP as it is now would do, computed without writing
 * anything: the resulting ABP (schema, meaning, identity), each export re-stamped with it and
 * gated, and every problem named by the field or gate it concerns. Votes are refused on a plan
 * with problems, and applying starts from a fresh plan, so an output never fails only after the
 * approvals that chose it have been counted (short of a concurrent change in between).
 */
export interface OutputPlan {
  outputKind: ReviewOutputKind;
  /** The ABP's current pointer, or undefined when it has none (superseded). */
  current: CurrentAbp | undefined;
  /** False when the ABP is no longer active: no output of this review can apply any more. */
  applicable: boolean;
  base: Abp | null;
  /** The new version (null for abp_revoke, or when it could not be computed). */
  next: Abp | null;
  /** What every export would embed and its status. */
  stamped: { abp: Abp; status: 'active' | 'revoked' } | null;
  exports: { row: ExportRow; document: ExportDocument; gates: GateResult[] }[];
  /** "field: message" or "export: gate: detail"; empty when the output would apply. */
  problems: string[];
}

/** The ABP an output yields from `base`: patch (same id, new hash), replace (new id) or revoke (none). */
export function computeNext(output: PlannedOutput, base: Abp): Abp | null {
  if (output.kind === 'abp_patch') return patchAbp(base, output.document);
  if (output.kind === 'abp_replace') return buildAbp(output.document, output.createdAt);
  return null;
}

/**
 * abp_replace means a new ABP: a new id that was never used (so a revoked or superseded id cannot
 * come back this way), on the ABP's own scope or one no other ABP governs.
 */
async function replacementProblems(q: Queryable, base: Abp, next: Abp): Promise<string[]> {
  if (next.abp_id === base.abp_id) {
    return [
      `abp_replace: the replacement keeps ${base.abp_id} (the same scope, authority_ref and created_at); a replacement is a new ABP ` +
        'with a new id: give it another created_at (or scope or authority_ref), or change this ABP with abp_patch',
    ];
  }
  if (await abpIdUsed(q, next.abp_id))
    return [
      `abp_replace: ${next.abp_id} was used before; a replacement needs an id never used (another created_at gives one)`,
    ];
  const owner = await scopeOwner(q, scopeKey(next.scope));
  return owner !== undefined && owner !== base.abp_id
    ? [`scope: already governed by ${owner}; a replacement cannot take over another ABP's scope`]
    : [];
}

/** Plans `output` against the current version of `abpId` (see OutputPlan). Reads only. */
export async function planReviewOutput(q: Queryable, abpId: string, output: PlannedOutput): Promise<OutputPlan> {
  const current = await findCurrentByAbpId(q, abpId);
  const exports = current?.status === 'active' ? await listExports(q, abpId) : [];
  return planOutputOn(q, { abpId, current, exports }, output);
}

/** What a plan is computed from, as a step read it (readApproval reads all of it in one statement). */
export interface PlanReading {
  abpId: string;
  current: CurrentAbp | undefined;
  exports: ExportRow[];
}

/**
 * planReviewOutput on what the caller read: the ABP's current pointer and its export rows. Only
 * a replacement reads more (whether its id was used, who governs its scope), through `q`. A plan
 * of a patch or a revocation is a function of what was read (the pointer's version and hash, the
 * output, the export rows): one this process computed on the same reading is reused
 * (plannedBefore) and only its documents are stamped afresh; a moved pointer is another reading.
 */
export async function planOutputOn(q: Queryable, read: PlanReading, output: PlannedOutput): Promise<OutputPlan> {
  const { abpId, current } = read;
  const plan: OutputPlan = {
    outputKind: output.kind,
    current,
    applicable: true,
    base: null,
    next: null,
    stamped: null,
    exports: [],
    problems: [],
  };
  if (!current || current.status !== 'active') {
    return {
      ...plan,
      applicable: false,
      problems: [`${abpId} is no longer active (${current?.status ?? 'superseded'})`],
    };
  }
  const key = output.kind === 'abp_replace' ? undefined : planKey(current, read.exports, output);
  const earlier = key === undefined ? undefined : plannedBefore.get(key);
  if (earlier) return restamped(earlier, current, read.exports);
  try {
    plan.base = storedAbp(current);
    plan.next = computeNext(output, plan.base);
  } catch (error) {
    return {
      ...plan,
      problems: error instanceof AbpSpecError ? error.problems : [`stored ABP unreadable: ${(error as Error).message}`],
    };
  }
  if (output.kind === 'abp_replace' && plan.next) {
    const problems = await replacementProblems(q, plan.base, plan.next);
    if (problems.length > 0) return { ...plan, problems };
  }
  plan.stamped = { abp: plan.next ?? plan.base, status: output.kind === 'abp_revoke' ? 'revoked' : 'active' };
  for (const row of read.exports) {
    const document = exportDocument(row, plan.stamped.abp, row.stamp + 1, plan.stamped.status);
    const gates = gateExport(document, plan.stamped.abp.hash);
    plan.exports.push({ row, document, gates });
    plan.problems.push(...gates.filter((g) => !g.passed).map((g) => `${row.exportId}: ${g.gate}: ${g.detail}`));
  }
  if (key !== undefined) remember(key, plan);
  return plan;
}

/**
 * Plans this process computed, by what they were computed from. An approval plans the same output
 * on the same reading up to three times (the client's dry-run, the vote, the apply), each step
 * reading for itself because it must not trust the one before; the reading is what it checks, and
 * the building and gating (schema, identity, contradictions of every export) is what the key
 * spares when nothing moved. Bounded: the oldest plan goes first.
 */
const plannedBefore = new Map<string, OutputPlan>();
const PLANS_KEPT = 256;

function planKey(current: CurrentAbp, exports: readonly ExportRow[], output: PlannedOutput): string {
  return JSON.stringify([
    current.abpId,
    current.version,
    current.abpHash,
    canonicalDigest({ kind: output.kind, document: output.document }),
    exports.map((e) => [e.exportId, e.module, e.stamp]),
  ]);
}

function remember(key: string, plan: OutputPlan): void {
  if (plannedBefore.size >= PLANS_KEPT) plannedBefore.delete(plannedBefore.keys().next().value!);
  plannedBefore.set(key, plan);
}

/** A remembered plan for this reading: the same results, its export documents stamped now. */
function restamped(plan: OutputPlan, current: CurrentAbp, rows: readonly ExportRow[]): OutputPlan {
  const stampedAt = new Date().toISOString();
  return {
    ...plan,
    current,
    exports: plan.exports.map((e, i) => ({ ...e, row: rows[i]!, document: { ...e.document, stamped_at: stampedAt } })),
    problems: [...plan.problems],
  };
}
