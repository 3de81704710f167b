import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { anchorWorkflowId, checkpointSignatureValid } from '../domain/provenance/anchor';
import type { AnchorState } from '../domain/provenance/checkpoint';
import {
  ANCHOR_MEMO_KEY,
  anchorNowUpdate,
  provenanceAnchorWorkflowRef,
  type AnchorInput,
} from '../workflows/provenance/contract';

const CheckpointSchema = z.strictObject({
  seq: z.int().min(1),
  contentHash: z.string().regex(/^[a-f0-9]{64}$/),
  firstHash: z.string().regex(/^[a-f0-9]{64}$/),
  anchoredAt: z.string(),
  signature: z.string(),
});
const AnchorStateSchema = z.object({
  checkpoint: CheckpointSchema.nullable(),
  violation: z.strictObject({ seq: z.int(), detail: z.string(), detectedAt: z.string() }).nullable(),
});

export type AnchorReading =
  | { found: false }
  | { found: true; running: boolean; workflowId: string; runId: string; state: AnchorState; signatureValid: boolean };

/**
 * The anchor as Temporal holds it, read from the workflow's memo with `describe` (no worker
 * needed). The memo is outside input: its shape is parsed and its checkpoint's signature checked.
 */
export async function readProvenanceAnchor(temporal: Client, key: string): Promise<AnchorReading> {
  let description;
  try {
    description = await temporal.workflow
      .getHandle<typeof provenanceAnchorWorkflowRef>(anchorWorkflowId(key))
      .describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { found: false };
    throw error;
  }
  const parsed = AnchorStateSchema.safeParse(
    description.memo?.[ANCHOR_MEMO_KEY] ?? { checkpoint: null, violation: null },
  );
  const state: AnchorState = parsed.success
    ? parsed.data
    : {
        checkpoint: null,
        violation: { seq: 0, detail: 'the anchor memo is not a checkpoint', detectedAt: new Date().toISOString() },
      };
  return {
    found: true,
    running: description.status.name === 'RUNNING',
    workflowId: description.workflowId,
    runId: description.runId,
    state,
    signatureValid: state.checkpoint === null || checkpointSignatureValid(key, state.checkpoint),
  };
}

/**
 * Starts the anchor unless it runs. A new run (first start, or after the last run ended) starts
 * from the last run's signed checkpoint, so stopping the anchor never resets it; a deliberate
 * reset means deleting the workflow in Temporal. A last checkpoint without a valid signature is
 * not trusted: the new run starts afresh and carries that as its violation.
 */
export async function ensureProvenanceAnchor(
  temporal: Client,
  key: string,
  taskQueue: string,
  options: Pick<AnchorInput, 'intervalMs' | 'maxStepsPerRun'> = {},
): Promise<{ workflowId: string; resumed: AnchorState | null }> {
  const workflowId = anchorWorkflowId(key);
  const previous = await readProvenanceAnchor(temporal, key);
  if (previous.found && previous.running) return { workflowId, resumed: null };
  let resume: AnchorState = { checkpoint: null, violation: null };
  if (previous.found) {
    resume = previous.signatureValid
      ? previous.state
      : {
          checkpoint: null,
          violation: {
            seq: 0,
            detail: 'the last anchor run left a checkpoint without a valid signature',
            detectedAt: new Date().toISOString(),
          },
        };
  }
  await temporal.workflow.start(provenanceAnchorWorkflowRef, {
    workflowId,
    taskQueue,
    args: [{ ...resume, ...options }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    memo: { [ANCHOR_MEMO_KEY]: resume },
    staticSummary: 'Provenance head anchor: signed checkpoints of the audit chain head',
  });
  return { workflowId, resumed: previous.found ? resume : null };
}

/** Has the anchor take a step now (a worker must be running) and returns its state after it. */
export async function anchorProvenanceNow(temporal: Client, key: string): Promise<AnchorState> {
  return temporal.workflow
    .getHandle<typeof provenanceAnchorWorkflowRef>(anchorWorkflowId(key))
    .executeUpdate(anchorNowUpdate);
}
