import type pg from 'pg';
import { requireEndorsement } from '../../db/endorsement/endorsements';
import { loadKernelVersion } from '../../db/endorsement/agents';
import {
  evidenceOf,
  firstCriticalSample,
  pendingSamples,
  recordScoredSamples,
  samplesArrivedWhileFallingAsleep,
  type ScoredSample,
} from '../../db/endorsement/shadow-samples';
import type { EvidenceSummary } from '../../domain/endorsement/cooldown';
import { classifySample, divergenceTier } from '../../domain/endorsement/divergence-tier';
import { identityReferenceText } from '../../domain/endorsement/kernel-posture';
import { l1Divergence } from '../../domain/endorsement/trigram-embedding';
import { applyKernelChange, type KernelDefinition } from '../../domain/kernel/definition';
import type { ModelGateway } from '../../models/model-gateway';

export interface BatchResult {
  scored: number;
  failed: number;
  /**
   * The first critical sample of the endorsement, if any, read back from the table so that a
   * retried batch still reports a critical sample its first attempt scored.
   */
  critical: { exchangeId: string; divergence: number; reason: string } | null;
  evidence: EvidenceSummary;
  more: boolean;
}

/** Model calls per sample before it is recorded as failed. */
const MAX_ATTEMPTS = 3;

async function withBackoff<T>(work: () => Promise<T>, attempts: number, baseMs: number): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await work();
    } catch (error) {
      last = error;
      if (i + 1 < attempts) await new Promise((r) => setTimeout(r, baseMs * 2 ** i));
    }
  }
  throw last;
}

/**
 * Scores up to `limit` pending samples of one endorsement: the sandbox (the kernel the live
 * answer came from, plus the staged change) answers the same prompt, and its answer is compared
 * with the live one (divergence) and with the agent's identity reference (drift). A sample whose
 * model keeps failing is marked failed: missing evidence, never a pass.
 */
export async function scoreShadowBatch(
  pool: pg.Pool,
  provenanceKey: string,
  models: ModelGateway,
  input: { endorsementId: string; limit: number; retryBaseMs?: number },
): Promise<BatchResult> {
  const endorsement = await requireEndorsement(pool, input.endorsementId);
  if (!endorsement.change) throw new Error(`endorsement ${input.endorsementId} has no change to shadow`);
  const rows = await pendingSamples(pool, input.endorsementId, input.limit);
  const { change } = endorsement;
  // Per kernel version, not per sample: a batch's samples mostly share one.
  const kernels = new Map<number, { production: KernelDefinition; sandbox: KernelDefinition; identity: string }>();
  const kernelAt = async (version: number) => {
    let k = kernels.get(version);
    if (!k) {
      const production = (await loadKernelVersion(pool, endorsement.agentId, version)).definition;
      k = { production, sandbox: applyKernelChange(production, change), identity: identityReferenceText(production) };
      kernels.set(version, k);
    }
    return k;
  };
  const t = endorsement.settings.thresholds;
  // Scored first, written together: one transaction per batch instead of one per sample.
  const outcomes: ScoredSample[] = [];
  for (const row of rows) {
    const { production, sandbox, identity: identityText } = await kernelAt(row.kernelVersion);
    try {
      const scored = await withBackoff(
        async () => {
          const shadow = await models.reply(sandbox, row.prompt);
          const [live, shadowVec, identity] = await models.embed([row.response, shadow, identityText]);
          const divergence = l1Divergence(live!, shadowVec!);
          const judge =
            divergenceTier(divergence, t) === 'judge' ? await models.judge(production, row.prompt, shadow) : null;
          return { shadow, divergence, drift: l1Divergence(identity!, shadowVec!), judge };
        },
        MAX_ATTEMPTS,
        input.retryBaseMs ?? 250,
      );
      const c = classifySample(scored.divergence, t, scored.judge ?? undefined);
      outcomes.push({ exchangeId: row.exchangeId, seq: row.seq, status: 'scored', ...scored, ...c });
      // No point scoring more: one critical sample rejects the change.
      if (c.critical) break;
    } catch (error) {
      outcomes.push({
        exchangeId: row.exchangeId,
        seq: row.seq,
        status: 'failed',
        reason: `model failed: ${(error as Error).message.slice(0, 200)}`,
        attempts: MAX_ATTEMPTS,
      });
    }
  }
  const result = await recordScoredSamples(pool, provenanceKey, input.endorsementId, models.chatModel, outcomes);
  // Whether any sample is left, not how many: counting the queue would cost the backlog per batch.
  const { pending, meanDrift: _drift, ...evidence } = await evidenceOf(pool, input.endorsementId, 1);
  // The evidence counts critical samples; only when there is one is it worth reading which.
  const first = evidence.critical > 0 ? await firstCriticalSample(pool, input.endorsementId) : undefined;
  return {
    ...result,
    critical: first ?? null,
    evidence,
    more: !first && (pending > 0 || (await samplesArrivedWhileFallingAsleep(pool, input.endorsementId))),
  };
}
