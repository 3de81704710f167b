import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { gatherFacts } from '../db/delegation/action-facts';
import { insertActionCheck } from '../db/delegation/action-checks';
import { firedEscalations, recordEscalations } from '../db/delegation/escalations';
import { withTransaction } from '../db/pool';
import { appendProvenance } from '../db/provenance/log';
import { ActionSchema } from '../domain/delegation/action';
import { checkAction, type ActionVerdict } from '../domain/delegation/validators';

export interface ActionCheckRecord extends ActionVerdict {
  checkId: string;
  abpId: string;
  abpHash: string | null;
  irreversible: boolean;
}

/**
 * The execution umbrella for one action: gathers the facts, runs the validators and records the
 * verdict, its escalations and a provenance entry in one transaction.
 */
export async function runActionCheck(deps: { pool: pg.Pool; provenanceKey: string }, abpId: string, actionInput: unknown): Promise<ActionCheckRecord> {
  const action = ActionSchema.parse(actionInput);
  const now = new Date();
  return withTransaction(deps.pool, async (tx) => {
    const { facts, current } = await gatherFacts(tx, abpId, now, { agentId: action.agent_id ?? null });
    const verdict = checkAction(facts, action);
    const checkId = action.action_id ? `${abpId}/${action.action_id}` : `check-${randomUUID()}`;
    const inserted = await insertActionCheck(tx, { checkId, abpId, abpHash: current?.abpHash ?? null, action, verdict, checkedAt: now });
    if (inserted) {
      await recordEscalations(tx, deps.provenanceKey, { abpId, source: 'validator', reference: checkId, subject: `abp:${abpId}`, fired: firedEscalations(verdict) });
      await appendProvenance(tx, deps.provenanceKey, {
        kind: 'action.checked',
        subject: `abp:${abpId}`,
        actor: action.agent_id ?? null,
        payload: {
          check_id: checkId,
          decision: verdict.decision,
          irreversible: action.irreversible,
          failed: verdict.results.filter((r) => !r.passed).map((r) => r.name),
          escalations: verdict.escalations.map((e) => e.destination),
        },
      });
    }
    return { checkId, abpId, abpHash: current?.abpHash ?? null, irreversible: action.irreversible, ...verdict };
  });
}
