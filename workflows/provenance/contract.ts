import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AnchorState } from '../../domain/provenance/checkpoint';
import { workflowRef } from '../workflow-ref';
import type { provenanceAnchorWorkflow } from './anchor';

/** The provenance anchor workflow's contract, shared by the workflow and the client. */

/** One long-lived anchor per chain (workflow id from the provenance key, domain/provenance/anchor.ts). */
export const provenanceAnchorWorkflowRef = workflowRef<typeof provenanceAnchorWorkflow>('provenanceAnchorWorkflow');

export interface AnchorInput extends AnchorState {
  /** How often the anchor looks at the head without being asked (default 15 s). */
  intervalMs?: number;
  /** Steps per run before it continues as new (default 400; Temporal may suggest it sooner). */
  maxStepsPerRun?: number;
}

/** Memo key under which the anchor publishes its state: readable by `describe`, without a worker. */
export const ANCHOR_MEMO_KEY = 'provenanceAnchor';

/** Takes a step now and answers with the state after it. */
export const anchorNowUpdate = defineUpdate<AnchorState>('anchorNow');
export const anchorStateQuery = defineQuery<AnchorState & { steps: number }>('anchorState');
