import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Registration } from '../../activities/endorsement/register';
import type { EvidenceSummary } from '../../domain/endorsement/cooldown';
import type { ProbeSummary } from '../../domain/endorsement/probe-outcome';
import type { EndorsementSettings, SettingsOverrides } from '../../domain/endorsement/settings';
import type { Decision, EndorsementState } from '../../domain/endorsement/states';

/** Messages of the endorsement workflow, shared by the workflow and its clients. */
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

export const registrationUpdate = defineUpdate<RegistrationView>('registration');
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
    /** Pull samples at least this often even without a wake-up signal. */
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
