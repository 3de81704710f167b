import type { Action } from './action';
import type { ActionOutcome } from './action-outcome';
import type { RuntimeValidator } from './schema';
import {
  checks as preActionChecks,
  envelopeProblems,
  parentDenials,
  verdictOf,
  type ActionFacts,
  type ActionVerdict,
  type ValidatorResult,
} from './validators';

/**
 * The ABP's post_action validators, run on the reported outcome of an allowed action. Pure: the
 * caller gathers the facts (as for a check, read when the outcome is reported), the checked
 * action and the outcome. The action already ran, so nothing is stopped here; the verdict's
 * fail_action decides what follows (recorded violation, escalation, degraded agent).
 */
export interface CheckedAction {
  checkId: string;
  action: Action;
  /** The ABP hash the action was checked under (null: no current hash then). */
  abpHash: string | null;
}

type PostCheck = (
  facts: ActionFacts,
  checked: CheckedAction,
  outcome: ActionOutcome,
  config: Record<string, unknown>,
) => {
  passed: boolean;
  detail: string;
};

/** Escalation paths with this trigger fire for every failing escalate post_action validator. */
export const POST_ACTION_TRIGGER = 'post_action';

const toolUsed = (checked: CheckedAction, outcome: ActionOutcome) => outcome.tool ?? checked.action.tool;

/** What each built-in validator checks after the fact (docs/delegation-review.md lists them). */
export const postActionChecks: Record<string, PostCheck> = {
  // What was done, not what was asked: the tool used and every data operation touched.
  authority_envelope_complete: (f, c, o) => {
    const done = { ...c.action, tool: toolUsed(c, o), data: o.touched };
    const problems = [
      ...envelopeProblems(f.abp, done),
      ...(f.parent?.abp ? parentDenials(f.parent.abp, done.objective, done.tool) : []),
    ];
    return problems.length === 0
      ? { passed: true, detail: `tool used and ${o.touched.length} data operation(s) touched inside the envelope` }
      : { passed: false, detail: problems.join('; ') };
  },
  // The boundary did not move while the action ran.
  policy_hash_matches: (f, c) =>
    c.abpHash !== null && c.abpHash === f.currentHash
      ? { passed: true, detail: 'the ABP is still the version the action was checked under' }
      : {
          passed: false,
          detail: `checked under ${c.abpHash ?? 'no current hash'}, current is now ${f.currentHash ?? `none (${f.status})`}`,
        },
  abp_present_on_export: (f) => preActionChecks.abp_present_on_export!(f, undefined, {}),
  abp_hash_valid: (f) => preActionChecks.abp_hash_valid!(f, undefined, {}),
  drift_threshold: (f, _c, _o, config) => preActionChecks.drift_threshold!(f, undefined, config),
  // The agent did what it was allowed to do and nothing more.
  outcome_matches_check: (_f, c, o) => {
    const problems: string[] = [];
    if (toolUsed(c, o) !== c.action.tool) problems.push(`used ${toolUsed(c, o)}, checked ${c.action.tool}`);
    for (const t of o.touched) {
      if (!c.action.data.some((d) => d.resource === t.resource && d.operation === t.operation)) {
        problems.push(`${t.operation} on ${t.resource} was not in the checked action`);
      }
    }
    return problems.length === 0
      ? { passed: true, detail: 'tool and data touched as checked' }
      : { passed: false, detail: problems.join('; ') };
  },
  cost_within_limit: (_f, _c, o, config) => {
    const max = config.max_cost;
    if (typeof max !== 'number') return { passed: false, detail: 'config.max_cost must be a number' };
    if (o.cost === undefined) return { passed: false, detail: `no cost reported (max_cost ${max})` };
    return o.cost <= max
      ? { passed: true, detail: `cost ${o.cost} <= max_cost ${max}` }
      : { passed: false, detail: `cost ${o.cost} > max_cost ${max}` };
  },
  outcome_succeeded: (_f, _c, o) =>
    o.status === 'succeeded'
      ? { passed: true, detail: 'the action succeeded' }
      : { passed: false, detail: `the action ${o.status}` },
};

function runPostValidator(
  v: RuntimeValidator,
  facts: ActionFacts,
  checked: CheckedAction,
  outcome: ActionOutcome,
): ValidatorResult {
  const check = postActionChecks[v.name];
  const result = check
    ? check(facts, checked, outcome, v.config)
    : { passed: false, detail: `unknown validator ${v.name}` };
  return { name: v.name, when: 'post_action', failAction: v.fail_action, ...result };
}

/**
 * Runs every post_action validator the ABP declares on the outcome. A validator name Warden does
 * not know fails (closed) with its own fail_action; an ABP declaring none gives `allowed`.
 */
export function checkOutcome(facts: ActionFacts, checked: CheckedAction, outcome: ActionOutcome): ActionVerdict {
  const results = facts.abp.runtime.validators
    .filter((v) => v.when === 'post_action')
    .map((v) => runPostValidator(v, facts, checked, outcome));
  return verdictOf(results, facts.abp, [POST_ACTION_TRIGGER]);
}
