import { referenceNormalForm } from './canonical';
import { describeContradictions, findContradictions, hasContradictions } from './contradictions';
import { AbpSpecError } from './errors';
import { computeAbpHash, computeAbpId } from './identity';
import { describeIssues } from '../input/field-issues';
import { AbpSchema, AbpSpecSchema, type Abp, type AbpSpec } from './schema';
import { abpStorageProblems } from './storage-limits';
import { checkDelegationReview } from './trigger-conditions';
import { wholeSecondUtc } from './utc-date-time';

/**
 * Builds a complete ABP from a spec: validates it, fills defaults, writes its timestamps as
 * whole-second UTC, computes the deterministic id and the self-authenticating hash exactly as the
 * ABP reference tooling does, and refuses contradictions. `clock` is used as created_at when the
 * spec has none (its fraction of a second dropped) and effective_at defaults to created_at.
 */
export function buildAbp(specInput: unknown, clock: string): Abp {
  const parsed = AbpSpecSchema.safeParse(specInput);
  if (!parsed.success) throw new AbpSpecError(describeIssues(parsed.error.issues, { whole: '(document)' }));
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

/**
 * Validates a complete body, checks its meaning and stamps the hash. The body is stored in the
 * reference's normal form (timestamps whole-second UTC, every other string as the reference
 * hashes it): the stored text is the hashed text, so no character of it can change unnoticed.
 */
export function sealAbp(body: Omit<Abp, 'hash'>): Abp {
  const candidate = referenceNormalForm({ ...body, ...wholeSecondTimestamps(body), hash: '' });
  const parsed = AbpSchema.safeParse(candidate);
  if (!parsed.success) throw new AbpSpecError(describeIssues(parsed.error.issues, { whole: '(document)' }));
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) throw new AbpSpecError(problems);
  return { ...parsed.data, hash: computeAbpHash(parsed.data) };
}

/**
 * The same ABP sealed again in the reference form: timestamps at whole seconds, every string as
 * the reference hashes it, id and hash recomputed. For ABPs stored before Warden matched the
 * reference; throws AbpSpecError when the document no longer passes today's checks.
 */
export function reissueAbp(stored: Abp): Abp {
  const { hash: _hash, ...body } = stored;
  return sealAbp({ ...body, abp_id: computeAbpId(body.scope, body.authority_ref, utc(body.created_at, 'created_at')) });
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

const TIMESTAMP_FIELDS = ['created_at', 'effective_at', 'expires_at'] as const;

function utc(value: string, field: string): string {
  const normalised = wholeSecondUtc(value);
  if (normalised === undefined)
    throw new AbpSpecError([`${field}: not an RFC 3339 date-time in the years 1000 to 9999`]);
  return normalised;
}

/** The body's timestamps rewritten by utc(); what is not a string is left to the schema to refuse. */
function wholeSecondTimestamps(body: Omit<Abp, 'hash'>): Partial<Pick<Abp, (typeof TIMESTAMP_FIELDS)[number]>> {
  const out: Record<string, string> = {};
  for (const field of TIMESTAMP_FIELDS) {
    const value: unknown = body[field];
    if (typeof value === 'string') out[field] = utc(value, field);
  }
  return out;
}
