import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import { withTransaction } from '../../db/pool';
import { WardenError } from '../../domain/errors';
import type { GuardPolicy } from '../../domain/guard/policy';
import { GUARD_REFUSAL } from '../../domain/guard/proposal-state';
import type { ActivityDeps } from '../deps';
import { requirePolicy } from '../../db/guard/policies';
import type { ApprovalRecord } from '../../domain/guard/proposal-record';
import { recordApproval, recordExpiry, recordProposalDecision, recordRelease, type DecisionInput } from './proposal-lifecycle';

// A user-caused refusal (unknown policy, wrong role…) will not get better by retrying: it is
// reported as non-retryable so the workflow sees it at once and can tell the caller.
async function refusingUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof WardenError && error.kind !== 'unavailable') {
      throw ApplicationFailure.create({ message: error.message, type: GUARD_REFUSAL, nonRetryable: true });
    }
    throw error;
  }
}

export function createGuardActivities(deps: ActivityDeps) {
  const tx = <T>(work: (client: pg.PoolClient) => Promise<T>) =>
    refusingUserErrors(() => withTransaction(deps.pool, work));
  return {
    async guardLoadPolicy(policyId: string): Promise<GuardPolicy> {
      return refusingUserErrors(() => requirePolicy(deps.pool, policyId));
    },
    async guardRecordDecision(input: DecisionInput): Promise<{ safety_event_id: string }> {
      const event = await tx((client) => recordProposalDecision(client, deps.provenanceKey, input));
      // Emitted as a structured log line for collectors; the stored copy is the record of truth.
      Context.current().log.info('guard safety event', { safety_event: event });
      return { safety_event_id: event.event_id };
    },
    async guardRecordApproval(input: { proposal_id: string; approval_id: string; approver: string }): Promise<ApprovalRecord> {
      return tx((client) => recordApproval(client, deps.provenanceKey, input));
    },
    async guardRecordRelease(proposalId: string, releaser?: string): Promise<Record<string, unknown>> {
      return tx((client) => recordRelease(client, deps.provenanceKey, proposalId, releaser));
    },
    async guardRecordExpiry(proposalId: string): Promise<void> {
      await tx((client) => recordExpiry(client, deps.provenanceKey, proposalId));
    },
  };
}
