import { normaliseDateTime } from './canonical';
import { describeContradictions, findContradictions, hasContradictions } from './contradictions';
import { AbpSpecError } from './errors';
import { computeAbpHash, computeAbpId } from './identity';
import { describeZodIssues } from './issues';
import { AbpSchema, AbpSpecSchema, type Abp, type AbpSpec } from './schema';
import { abpStorageProblems } from './storage-limits';
import { checkDelegationReview } from './trigger-conditions';

/**
 * Builds a complete ABP from a spec: validates it, fills defaults, normalises date-times to UTC,
 * computes the deterministic id and the self-authenticating hash, and refuses contradictions.
 * `clock` is used as created_at when the spec has none (and effective_at defaults to created_at).
 */
export function buildAbp(specInput: unknown, clock: string): Abp {
  const parsed = AbpSpecSchema.safeParse(specInput);
  if (!parsed.success) throw new AbpSpecError(describeZodIssues(parsed.error));
  return assembleAbp(parsed.data, clock);
}

export function assembleAbp(spec: AbpSpec, clock: string): Abp {
  const createdAt = utc(spec.created_at ?? clock, 'created_at');
  const body = {
    abp_version: '1.0' as const,
    abp_id: computeAbpId(spec.scope, spec.authority_ref, createdAt),
    scope: spec.scope,
    authority_ref: spec.authority_ref,
    objectives: spec.objectives,
    tools: spec.tools,
    data: spec.data,
    approvals: spec.approvals,
    escalation: spec.escalation,
    runtime: spec.runtime,
    proof: spec.proof,
    composition: spec.composition,
    ...(spec.delegation_review === undefined ? {} : { delegation_review: spec.delegation_review }),
    effective_at: utc(spec.effective_at ?? createdAt, 'effective_at'),
    expires_at: spec.expires_at === null ? null : utc(spec.expires_at, 'expires_at'),
    created_at: createdAt,
  };
  return sealAbp(body);
}

/** Validates a complete body, checks its meaning and stamps the hash. */
export function sealAbp(body: Omit<Abp, 'hash'>): Abp {
  const candidate = { ...body, hash: '' };
  const parsed = AbpSchema.safeParse(candidate);
  if (!parsed.success) throw new AbpSpecError(describeZodIssues(parsed.error));
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) throw new AbpSpecError(problems);
  return { ...parsed.data, hash: computeAbpHash(parsed.data) };
}

/** Everything a JSON Schema cannot say but an ABP must satisfy. */
export function semanticProblems(abp: Abp): string[] {
  const problems: string[] = [];
  const contradictions = findContradictions(abp);
  if (hasContradictions(contradictions)) problems.push(`contradiction: ${describeContradictions(contradictions)}`);
  const { parent_abp_id: parentId, parent_abp_hash: parentHash, children } = abp.composition;
  if ((parentId === null) !== (parentHash === null)) {
    problems.push('composition: parent_abp_id and parent_abp_hash must be set together');
  }
  const childIds = children.map((c) => c.abp_id);
  if (new Set(childIds).size !== childIds.length) problems.push('composition.children: duplicate child abp_id');
  if (abp.expires_at !== null && Date.parse(abp.expires_at) <= Date.parse(abp.effective_at)) {
    problems.push('expires_at: must be later than effective_at');
  }
  if (abp.delegation_review !== undefined) problems.push(...checkDelegationReview(abp.delegation_review));
  problems.push(...abpStorageProblems(abp));
  return problems;
}

function utc(value: string, field: string): string {
  const normalised = normaliseDateTime(value);
  if (normalised === undefined) throw new AbpSpecError([`${field}: not an RFC 3339 date-time`]);
  return normalised;
}
