import { checkAbpIdentity, type IdentityCheck } from './identity';
import type { Action } from './action';
import type { Abp, EscalationPath, FailAction, RuntimeValidator } from './schema';

/**
 * The execution umbrella: the ABP's runtime validators run for real on every checked action (in
 * the original they were declarations nothing executed). Pure: the caller gathers the facts.
 */
export interface ActionFacts {
  /** The ABP as stored (so a tampered row fails abp_hash_valid). */
  abp: Abp;
  /** Hash of the ABP version that is current for this abp_id, or null when none is. */
  currentHash: string | null;
  /**
   * Where this abp_id stands: active, revoked, replaced (its scope moved to another id) or
   * superseded (no longer current at all).
   */
  status: AbpStanding;
  /** Every export registered for this ABP, with the ABP hash it embeds (null: none embedded). */
  exports: { exportId: string; embeddedHash: string | null }[];
  /** Red and yellow drift signals for this ABP inside drift_threshold's window. */
  openDriftSignals: number;
  now: number;
  /**
   * The parent this ABP is composed under (composition.parent_abp_id), as its pointer stands:
   * its denials reach every child. Absent or null: no parent. `abp` null: the reference names no
   * stored ABP (status missing), and the child's checks fail closed.
   */
  parent?: { id: string; abp: Abp | null; status: AbpStanding | 'missing' } | null;
  /** The acting agent is held back under this ABP by a failing degrade post_action validator. */
  degradation?: { checkId: string; reason: string } | null;
  /**
   * The stored ABP's recomputed id and hash when the caller already has them (a compiled, cached
   * ABP computes them once per stored version instead of on every check).
   */
  identity?: IdentityCheck;
}

export interface ValidatorResult {
  name: string;
  when: RuntimeValidator['when'] | 'builtin';
  failAction: FailAction;
  /**
   * What the ABP declared, when Warden enforces more (an always-enforced check declared weaker than
   * block): a declared escalate still fires its escalation path although the action is blocked.
   */
  declaredFailAction?: FailAction;
  passed: boolean;
  detail: string;
}

export type AbpStanding = 'active' | 'revoked' | 'replaced' | 'superseded';

export type ActionDecision = 'allowed' | 'warned' | 'escalated' | 'degraded' | 'blocked';

export interface ActionVerdict {
  decision: ActionDecision;
  allowed: boolean;
  results: ValidatorResult[];
  escalations: { validator: string; destination: string; severity: EscalationPath['severity'] }[];
}

/** `action` is absent on the monitor's periodic pass: checks that judge an action then do not apply. */
type Check = (
  facts: ActionFacts,
  action: Action | undefined,
  config: Record<string, unknown>,
) => { passed: boolean; detail: string };

const ACTIONS_ONLY = { passed: true, detail: 'applies to checked actions only' };

export const DEFAULT_MAX_DS = 6;

export const checks: Record<string, Check> = {
  authority_envelope_complete: (f, a) => {
    if (!a) return ACTIONS_ONLY;
    const problems = envelopeProblems(f.abp, a);
    return problems.length === 0
      ? { passed: true, detail: 'objective, tool and data operations inside the envelope' }
      : { passed: false, detail: problems.join('; ') };
  },
  policy_hash_matches: (f, a) =>
    !a
      ? ACTIONS_ONLY
      : f.currentHash !== null && a.abp_hash === f.currentHash
        ? { passed: true, detail: 'caller holds the current ABP hash' }
        : {
            passed: false,
            detail: `caller holds ${a.abp_hash}, current is ${f.currentHash ?? `none (${f.abp.abp_id} is ${f.status})`}`,
          },
  abp_present_on_export: (f, a) => {
    if (a?.export_id !== undefined && !f.exports.some((e) => e.exportId === a.export_id)) {
      return { passed: false, detail: `export ${a!.export_id} is not registered for ${f.abp.abp_id}` };
    }
    const stale = f.exports.filter((e) => e.embeddedHash === null || e.embeddedHash !== f.currentHash);
    return stale.length === 0
      ? { passed: true, detail: `${f.exports.length} export(s) embed the current ABP` }
      : { passed: false, detail: `export(s) without the current ABP: ${stale.map((e) => e.exportId).join(', ')}` };
  },
  abp_hash_valid: (f) => {
    const identity = f.identity ?? checkAbpIdentity(f.abp);
    if (!identity.hashMatches)
      return { passed: false, detail: `stored hash ${f.abp.hash} != recomputed ${identity.expectedHash}` };
    if (!identity.idMatches)
      return { passed: false, detail: `abp_id ${f.abp.abp_id} != recomputed ${identity.expectedId}` };
    return { passed: true, detail: 'hash and id recomputed' };
  },
  drift_threshold: (f, _a, config) => {
    const max = typeof config.max_ds === 'number' ? config.max_ds : DEFAULT_MAX_DS;
    return f.openDriftSignals <= max
      ? { passed: true, detail: `${f.openDriftSignals} red/yellow drift signal(s) <= max_ds ${max}` }
      : { passed: false, detail: `${f.openDriftSignals} red/yellow drift signal(s) > max_ds ${max}` };
  },
};

/** Objective, tool and every data operation allowed and none denied. */
export function envelopeProblems(abp: Abp, action: Action): string[] {
  const problems: string[] = [];
  const denied = abp.objectives.denied.find((o) => o.id === action.objective);
  if (denied) problems.push(`objective ${action.objective} denied: ${denied.reason}`);
  else if (!abp.objectives.allowed.some((o) => o.id === action.objective))
    problems.push(`objective ${action.objective} not allowed`);
  const deniedTool = abp.tools.deny.find((t) => t.name === action.tool);
  if (deniedTool) problems.push(`tool ${action.tool} denied: ${deniedTool.reason}`);
  else if (!abp.tools.allow.some((t) => t.name === action.tool)) problems.push(`tool ${action.tool} not allowed`);
  for (const access of action.data) {
    const granted = abp.data.permissions.some(
      (p) =>
        resourceMatches(p.resource, access.resource) &&
        p.operations.includes(access.operation) &&
        (action.role === undefined || p.roles.includes(action.role)),
    );
    if (!granted) {
      problems.push(
        `${access.operation} on ${access.resource}${action.role ? ` as ${action.role}` : ''} not permitted`,
      );
    }
  }
  return problems;
}

/** A permission's resource is a path, or a prefix pattern ending in "*" ("candidates/*"). */
export function resourceMatches(pattern: string, resource: string): boolean {
  return pattern.endsWith('*') ? resource.startsWith(pattern.slice(0, -1)) : pattern === resource;
}

const SEVERITY: Record<ActionDecision, number> = { allowed: 0, warned: 1, escalated: 2, degraded: 3, blocked: 4 };
const DECISION_FOR: Record<FailAction, ActionDecision> = {
  warn: 'warned',
  escalate: 'escalated',
  degrade: 'degraded',
  block: 'blocked',
};

/**
 * Checks Warden enforces on every action whatever the ABP declares: the authority envelope
 * (tools.deny, objectives.denied, the allow lists and data permissions), the caller's hash being
 * the current one (so a replaced or superseded ABP stops everything) and the stored ABP's own
 * integrity. Declaring one of them changes nothing but where it is listed; declaring it with a
 * weaker fail_action than block does not weaken it.
 */
export const ALWAYS_ENFORCED = ['authority_envelope_complete', 'policy_hash_matches', 'abp_hash_valid'] as const;

const isAlwaysEnforced = (name: string) => (ALWAYS_ENFORCED as readonly string[]).includes(name);

/**
 * Runs the built-in checks and the ABP's pre_action and periodic validators on one action. A
 * failing validator acts by its fail_action: block stops the action, warn lets it through with a
 * warning, escalate lets it through and fires the ABP's escalation path named after the
 * validator, degrade lets it through in degraded mode. A revoked or out-of-date ABP blocks
 * everything, and so does a failing ALWAYS_ENFORCED check (declared validators add checks,
 * never remove these; one declared with escalate blocks and still fires its escalation path); a validator name Warden does not know fails (closed) with its own fail_action.
 */
export function checkAction(facts: ActionFacts, action: Action): ActionVerdict {
  const results: ValidatorResult[] = [
    ...standingResults(facts),
    ...agentResults(facts),
    ...parentResults(facts, action),
  ];
  const declared = facts.abp.runtime.validators.filter((v) => v.when !== 'post_action');
  for (const validator of declared) {
    if (!isAlwaysEnforced(validator.name) || validator.fail_action === 'block')
      results.push(runValidator(validator, facts, action));
    else {
      const result = runValidator({ ...validator, fail_action: 'block' }, facts, action);
      results.push(
        result.passed
          ? result
          : {
              ...result,
              declaredFailAction: validator.fail_action,
              detail: `${result.detail} (always enforced: blocks although ${validator.fail_action} is declared)`,
            },
      );
    }
  }
  for (const name of ALWAYS_ENFORCED) {
    if (!declared.some((v) => v.name === name)) {
      results.push({
        ...runValidator({ name, when: 'pre_action', fail_action: 'block', config: {} }, facts, action),
        when: 'builtin',
      });
    }
  }
  return verdictOf(results, facts.abp);
}

/**
 * The monitor's pass over the periodic validators (e.g. drift_threshold), without an action: a
 * failing escalate fires the escalation path even when no agent is acting.
 */
export function checkPeriodic(facts: ActionFacts): ActionVerdict {
  const results = facts.abp.runtime.validators
    .filter((v) => v.when === 'periodic')
    .map((v) => runValidator(v, facts, undefined));
  return verdictOf(results, facts.abp);
}

export function runValidator(
  validator: RuntimeValidator,
  facts: ActionFacts,
  action: Action | undefined,
): ValidatorResult {
  const check = checks[validator.name];
  const outcome = check
    ? check(facts, action, validator.config)
    : { passed: false, detail: `unknown validator ${validator.name}` };
  return { name: validator.name, when: validator.when, failAction: validator.fail_action, ...outcome };
}

/**
 * The strongest failing fail_action decides; each failing escalate fires the ABP's escalation
 * paths whose trigger is the validator's name (or one of `alsoTriggers`).
 */
export function verdictOf(results: ValidatorResult[], abp: Abp, alsoTriggers: readonly string[] = []): ActionVerdict {
  let decision: ActionDecision = 'allowed';
  const escalations: ActionVerdict['escalations'] = [];
  for (const r of results) {
    if (r.passed) continue;
    const d = DECISION_FOR[r.failAction];
    if (SEVERITY[d] > SEVERITY[decision]) decision = d;
    // Blocking does not silence a declared escalation: the people it names still hear of it.
    if (r.failAction === 'escalate' || r.declaredFailAction === 'escalate') {
      for (const path of abp.escalation.paths.filter((p) => p.trigger === r.name || alsoTriggers.includes(p.trigger))) {
        escalations.push({ validator: r.name, destination: path.destination, severity: path.severity });
      }
    }
  }
  return { decision, allowed: decision !== 'blocked', results, escalations };
}

/** Revoked, not yet effective or expired: reported only when they fail, and they always block. */
function standingResults(facts: ActionFacts): ValidatorResult[] {
  const out: ValidatorResult[] = [];
  if (facts.status === 'revoked') {
    out.push({
      name: 'abp_not_revoked',
      when: 'builtin',
      failAction: 'block',
      passed: false,
      detail: `${facts.abp.abp_id} is revoked`,
    });
  }
  const effective = Date.parse(facts.abp.effective_at);
  const expires = facts.abp.expires_at === null ? null : Date.parse(facts.abp.expires_at);
  if (facts.now < effective || (expires !== null && facts.now >= expires)) {
    out.push({
      name: 'abp_in_effect',
      when: 'builtin',
      failAction: 'block',
      passed: false,
      detail: `ABP in effect from ${facts.abp.effective_at} until ${facts.abp.expires_at ?? 'no expiry'}`,
    });
  }
  return out;
}

/** An agent held back by a failing degrade post_action validator is blocked until an operator clears it. */
function agentResults(facts: ActionFacts): ValidatorResult[] {
  if (!facts.degradation) return [];
  const { checkId, reason } = facts.degradation;
  return [
    {
      name: 'agent_not_degraded',
      when: 'builtin',
      failAction: 'block',
      passed: false,
      detail: `the agent is degraded under ${facts.abp.abp_id} since the outcome of ${checkId} (${reason}); an operator clears it`,
    },
  ];
}

/**
 * The parent's denials (tools.deny, objectives.denied) reach every child, and a parent whose
 * stored document does not recompute stops its children too. Listed whenever there is a parent.
 */
function parentResults(facts: ActionFacts, action: Action): ValidatorResult[] {
  const parent = facts.parent;
  if (!parent) return [];
  const problems: string[] = [];
  if (parent.abp === null) problems.push(`parent ${parent.id} is not a stored ABP`);
  else {
    problems.push(...parentDenials(parent.abp, action.objective, action.tool));
    const identity = checkAbpIdentity(parent.abp);
    if (!identity.hashMatches || !identity.idMatches)
      problems.push(`parent ${parent.id} does not recompute (hash or id)`);
  }
  return [
    {
      name: 'parent_boundary',
      when: 'builtin',
      failAction: 'block',
      passed: problems.length === 0,
      detail:
        problems.length === 0 ? `inside the denials of parent ${parent.id} (${parent.status})` : problems.join('; '),
    },
  ];
}

/** What a parent denies, for an objective and tool a child's action names. */
export function parentDenials(parent: Abp, objective: string, tool: string): string[] {
  const problems: string[] = [];
  const objectiveDenied = parent.objectives.denied.find((o) => o.id === objective);
  if (objectiveDenied)
    problems.push(`objective ${objective} denied by parent ${parent.abp_id}: ${objectiveDenied.reason}`);
  const toolDenied = parent.tools.deny.find((t) => t.name === tool);
  if (toolDenied) problems.push(`tool ${tool} denied by parent ${parent.abp_id}: ${toolDenied.reason}`);
  return problems;
}
