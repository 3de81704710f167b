import type { Client } from '@temporalio/client';
import { anchoredEntryProblem } from '../domain/provenance/anchored-entry';
import type { Queryable } from '../db/pool';
import { provenanceHashesAt, verifyProvenanceChain, type ChainVerification } from '../db/provenance/log';
import { readProvenanceAnchor, type AnchorReading } from './provenance-anchor';

export interface AnchorReport {
  /** matched: the anchored head is there, unchanged; violated: it is not (or the anchor saw it go). */
  state: 'matched' | 'violated' | 'none' | 'unavailable';
  detail: string;
  workflowId?: string;
  running?: boolean;
  checkpoint?: { seq: number; contentHash: string; anchoredAt: string };
}

export interface ProvenanceVerification extends ChainVerification {
  anchor: AnchorReport;
}

/** How long verify waits for Temporal before reporting the anchor as unavailable. */
const ANCHOR_READ_MS = 5000;

/**
 * `warden provenance verify`: the whole chain (links, content hashes, signatures) and its head
 * against the anchor kept in Temporal, which is what catches the newest entries being deleted
 * (a shorter chain is still a valid chain). The anchor is read before the chain, so every entry
 * it names had committed before the chain is read.
 */
export async function verifyProvenance(q: Queryable, temporal: Client, key: string): Promise<ProvenanceVerification> {
  let reading: AnchorReading | undefined;
  let unreachable: string | undefined;
  try {
    reading = await temporal.withDeadline(Date.now() + ANCHOR_READ_MS, () => readProvenanceAnchor(temporal, key));
  } catch (error) {
    unreachable = error instanceof Error ? error.message : String(error);
  }
  const chain = await verifyProvenanceChain(q, key);
  if (!reading) {
    return {
      ...chain,
      anchor: {
        state: 'unavailable',
        detail: `the head anchor could not be read from Temporal (${unreachable}): deleted newest entries would not show`,
      },
    };
  }
  if (!reading.found) {
    return {
      ...chain,
      anchor: {
        state: 'none',
        detail: 'this chain has no head anchor yet (the worker starts one): deleted newest entries would not show',
      },
    };
  }
  const { state, running, workflowId } = reading;
  const cp = state.checkpoint;
  const base = {
    workflowId,
    running,
    ...(cp ? { checkpoint: { seq: cp.seq, contentHash: cp.contentHash, anchoredAt: cp.anchoredAt } } : {}),
  };
  const stopped = running ? '' : ' (the anchor workflow is not running: it checks nothing newer)';
  let problem: { seq: number; detail: string } | undefined;
  if (!reading.signatureValid)
    problem = { seq: cp!.seq, detail: 'the anchored checkpoint does not carry a valid signature for this key' };
  else if (state.violation)
    problem = {
      seq: state.violation.seq,
      detail: `the anchor saw it at ${state.violation.detectedAt}: ${state.violation.detail}`,
    };
  else if (cp) problem = anchoredEntryProblem(cp, await provenanceHashesAt(q, [1, cp.seq]), chain.headSeq);
  if (problem) {
    const firstBad =
      chain.firstBad && chain.firstBad.seq <= problem.seq
        ? chain.firstBad
        : { seq: problem.seq, reason: problem.detail };
    return { ...chain, ok: false, firstBad, anchor: { ...base, state: 'violated', detail: problem.detail + stopped } };
  }
  if (!cp)
    return { ...chain, anchor: { ...base, state: 'none', detail: `the head anchor has no checkpoint yet${stopped}` } };
  return {
    ...chain,
    anchor: {
      ...base,
      state: 'matched',
      detail: `entry ${cp.seq}, anchored as the head at ${cp.anchoredAt}, is present and unchanged${stopped}`,
    },
  };
}
