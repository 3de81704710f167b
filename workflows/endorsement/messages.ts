import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConflictResult } from '../../domain/endorsement/conflict';
import type { EvidenceSummary } from '../../domain/endorsement/cooldown';
import type { ProbeSummary } from '../../domain/endorsement/probe-outcome';
import type { EndorsementSettings, SettingsOverrides } from '../../domain/endorsement/settings';
import type { Decision, EndorsementState } from '../../domain/endorsement/states';
import { workflowRef } from '../workflow-ref';
import type { endorsementWorkflow } from './endorsement';

/**
 * The endorsement workflow's messages, shared by the workflow, its activities and its clients:
 * input and result, signals, updates and queries. No zod here: every endorsement run evaluates the
 * modules the workflow imports afresh (the SDK gives each run a module cache of its own), and zod
 * was most of them. The schemas clients check messages with are in contract.ts, which re-exports
 * this module.
 */

/** Started per endorsement (workflow id = endorsement id): `client.workflow.start(endorsementWorkflowRef, …)`. */
export const endorsementWorkflowRef = workflowRef<typeof endorsementWorkflow>('endorsementWorkflow');

export interface OperatorInput {
  principal: string;
  rationale?: string;
  /** Promote only: before the evidence rule is met (needs a rationale; recorded as an override). */
  override?: boolean;
}

export interface DecideInput extends OperatorInput {
  decision: Decision;
}

export interface ExtendInput extends OperatorInput {
  /** Default: the endorsement's base cooldown. */
  seconds?: number;
}

/** The registration activity's answer (conflict detection and the stored endorsement). */
export interface Registration {
  /** no_conflict: a decision came with a rule that conflicts with nothing; nothing was recorded. */
  outcome: 'pending' | 'rejected' | 'applied' | 'duplicate' | 'no_conflict';
  endorsementId: string;
  agentId: string;
  conflictKind: ConflictResult['kind'];
  target: string | null;
  reason: string;
  /** For a duplicate: the endorsement that is already open for the same agent and commitment. */
  openEndorsementId: string | null;
  settings: EndorsementSettings;
  hasProbeBattery: boolean;
  baseVersion: number;
  appliedVersion: number | null;
}

/** The registration activity's answer without what only the workflow itself needs. */
export type RegistrationView = Omit<Registration, 'settings' | 'hasProbeBattery' | 'baseVersion'>;

export interface EndorsementView {
  endorsementId: string;
  agentId: string;
  state: EndorsementState;
  registration: RegistrationView | null;
  decision: { decision: Decision; principal: string } | null;
  stagedAtMs: number | null;
  deadlineMs: number | null;
  capMs: number | null;
  evidence: EvidenceSummary;
  outcome: { reason: string; score: number | null; appliedVersion: number | null } | null;
  /** The probe battery's verdict on the sandbox when it was staged; null without a battery. */
  probes?: ProbeSummary | null;
  /** How many runs this endorsement has used (continue-as-new keeps histories small). */
  run: number;
}

/** Resolves once the endorsement is registered, with the registration alone (kept for earlier clients). */
export const registrationUpdate = defineUpdate<RegistrationView>('registration');
/** Resolves once the endorsement is registered, with its whole state: sent with the start (update-with-start). */
export const awaitRegistrationUpdate = defineUpdate<EndorsementView>('awaitRegistration');
export const decideUpdate = defineUpdate<EndorsementView, [DecideInput]>('decide');
export const promoteUpdate = defineUpdate<EndorsementView, [OperatorInput]>('promote');
export const abortUpdate = defineUpdate<EndorsementView, [OperatorInput]>('abort');
export const extendUpdate = defineUpdate<EndorsementView, [ExtendInput]>('extend');
/** No payload: the samples wait in PostgreSQL; the signal only says "there is something to pull". */
export const shadowSamplesPendingSignal = defineSignal('shadowSamplesPending');
export const endorsementStateQuery = defineQuery<EndorsementView>('state');

export interface EndorsementWorkflowInput {
  endorsementId: string;
  agentId: string;
  ruleText: string;
  commitment?: string;
  value?: string;
  settings?: SettingsOverrides;
  requestedBy?: string | null;
  /** A decision came with the rule: a rule that conflicts with nothing is refused instead of applied. */
  requireConflict?: boolean;
  tuning?: {
    /** Samples scored per activity call. */
    batchSize?: number;
    /** Runs from before WAIT_WITHOUT_POLLING (cooldown-wait.ts) only: pull samples at least this often. */
    pollSeconds?: number;
    /** Continue as new once the history is this long (Temporal's own suggestion also counts). */
    maxHistoryEvents?: number;
  };
  /** Set by continue-as-new: where the previous run left off. */
  resume?: ResumeState;
}

export interface ResumeState {
  view: EndorsementView;
  settings: EndorsementSettings;
}
