import type pg from 'pg';
import { requirePrincipal } from '../db/access/principals';
import { gatherFacts } from '../db/delegation/action-facts';
import { findActionCheck, findOutcome, insertOutcome } from '../db/delegation/action-outcomes';
import { clearDegradations, insertDegradation } from '../db/delegation/degradations';
import { firedEscalations, recordEscalations } from '../db/delegation/escalations';
import { appendProvenance, withProvenanceTransaction } from '../db/provenance/log';
import { ActionOutcomeSchema } from '../domain/delegation/action-outcome';
import { checkOutcome } from '../domain/delegation/post-action';
import type { ActionVerdict } from '../domain/delegation/validators';
import { ADMIN_ROLE, DEFAULT_OPERATOR_ROLE, requireRole } from '../domain/authorization';
import { conflict, notFound } from '../domain/errors';

export interface OutcomeRecord extends ActionVerdict {
  checkId: string;
  abpId: string;
  irreversible: boolean;
  /** The agent now held back under this ABP (a degrade validator failed), or null. */
  degradedAgent: string | null;
}

/**
 * `warden action report`: records the outcome of an allowed action and runs the ABP's
 * post_action validators on it, in one transaction with its consequences: the verdict (a blocked
 * one on an irreversible action counts toward DRT-002), the escalation paths of failing escalate
 * validators, and the agent held back when a degrade validator fails. An unknown check, one of
 * another ABP, a blocked one and one already reported are refused, naming it.
 */
export async function recordActionOutcome(
  deps: { pool: pg.Pool; provenanceKey: string },
  abpId: string,
  checkId: string,
  outcomeInput: unknown,
  actor: string | null,
): Promise<OutcomeRecord> {
  const outcome = ActionOutcomeSchema.parse(outcomeInput);
  const now = new Date();
  return withProvenanceTransaction(deps.pool, async (tx) => {
    if (actor) await requirePrincipal(tx, actor);
    const { facts } = await gatherFacts(tx, abpId, now);
    const check = await findActionCheck(tx, checkId, { forUpdate: true });
    if (!check || check.abpId !== facts.abp.abp_id) throw notFound(`checked action ${checkId} under ${abpId}`);
    if (check.decision === 'blocked')
      throw conflict(`checked action ${checkId} was blocked: only an allowed action has an outcome`);
    const earlier = await findOutcome(tx, checkId);
    if (earlier) {
      throw conflict(
        `checked action ${checkId} already has an outcome (${earlier.decision}, reported ${earlier.reportedAt}${earlier.reportedBy ? ` by ${earlier.reportedBy}` : ''})`,
      );
    }
    const verdict = checkOutcome(facts, { checkId, action: check.action, abpHash: check.abpHash }, outcome);
    const irreversible = check.irreversible || outcome.irreversible;
    await insertOutcome(tx, { check, outcome, irreversible, verdict, reportedBy: actor, reportedAt: now });
    await recordEscalations(tx, deps.provenanceKey, {
      abpId: check.abpId,
      source: 'post_action',
      reference: `${checkId}/outcome`,
      subject: `abp:${check.abpId}`,
      fired: firedEscalations(verdict),
    });
    const degrading = verdict.results.filter((r) => !r.passed && r.failAction === 'degrade');
    if (degrading.length > 0) {
      const reason = degrading.map((r) => `${r.name}: ${r.detail}`).join('; ');
      await insertDegradation(tx, { abpId: check.abpId, agentId: check.agentId, checkId, reason });
    }
    await appendProvenance(tx, deps.provenanceKey, {
      kind: 'action.outcome_reported',
      subject: `abp:${check.abpId}`,
      actor: actor ?? check.agentId,
      payload: {
        check_id: checkId,
        status: outcome.status,
        decision: verdict.decision,
        irreversible,
        failed: verdict.results.filter((r) => !r.passed).map((r) => r.name),
        escalations: verdict.escalations.map((e) => e.destination),
        degraded_agent: degrading.length > 0 ? (check.agentId ?? '') : null,
      },
    });
    return {
      checkId,
      abpId: check.abpId,
      irreversible,
      degradedAgent: degrading.length > 0 ? (check.agentId ?? '') : null,
      ...verdict,
    };
  });
}

/**
 * `warden action clear`: an operator (role operator or admin) lets a degraded agent act under the
 * ABP again. `agentId` null clears actions that name no agent. Nothing to clear is a 404.
 */
export async function clearAgentDegradation(
  deps: { pool: pg.Pool; provenanceKey: string },
  abpId: string,
  agentId: string | null,
  c: { principal: string; reason: string },
): Promise<{ abpId: string; agentId: string | null; cleared: string[] }> {
  return withProvenanceTransaction(deps.pool, async (tx) => {
    const operator = await requirePrincipal(tx, c.principal);
    const { facts } = await gatherFacts(tx, abpId, new Date());
    const id = facts.abp.abp_id;
    requireRole(operator, [DEFAULT_OPERATOR_ROLE, ADMIN_ROLE], `clear a degraded agent under ${id}`);
    const cleared = await clearDegradations(tx, { abpId: id, agentId, by: c.principal, reason: c.reason });
    if (cleared.length === 0) throw notFound(`degradation of agent ${agentId ?? '(unnamed)'} under ${id}`);
    await appendProvenance(tx, deps.provenanceKey, {
      kind: 'action.degradation_cleared',
      subject: `abp:${id}`,
      actor: c.principal,
      payload: { agent_id: agentId, checks: cleared, reason: c.reason },
    });
    return { abpId: id, agentId, cleared };
  });
}
