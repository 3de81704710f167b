import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { appendProvenanceBatch } from '../../db/provenance/log';
import { withTransaction, type Queryable } from '../../db/pool';
import type { EvidenceSummary } from '../../domain/endorsement/cooldown';
import { classifySample, divergenceTier, type JudgeVerdict } from '../../domain/endorsement/divergence-tier';
import { identityReferenceText } from '../../domain/endorsement/kernel-posture';
import { l1Divergence } from '../../domain/endorsement/trigram-embedding';
import { applyKernelChange, type KernelDefinition } from '../../domain/kernel/definition';
import { loadKernelVersion } from './agent-store';
import { evidenceOf, requireEndorsement } from './endorsement-store';
import type { ModelGateway } from './model-gateway';

export interface QueuedSample {
  endorsementId: string;
  /** True when this caller must wake the workflow; false when a wake-up is already outstanding. */
  wake: boolean;
}

/**
 * Records a live exchange and queues it as a shadow sample for every staged (or inconclusive)
 * endorsement of the agent whose sampling rate takes it (`draw` is uniform in [0, 1): each
 * endorsement takes the exchange when draw < its rate). The wake flag is flipped with a
 * compare-and-set so that, however many chats arrive, one signal wakes the workflow for the whole
 * batch. One statement, because it is on the live path: with nothing staged it costs what
 * recording the exchange alone would.
 */
export async function recordExchange(
  q: Queryable,
  e: { agentId: string; kernelVersion: number; prompt: string; response: string; model: string },
  draw: number,
): Promise<{ exchangeId: string; queued: QueuedSample[] }> {
  const exchangeId = `ex-${randomUUID()}`;
  const { rows } = await q.query<{ id: string; wake: boolean }>(
    `WITH exchange AS (
       INSERT INTO chat_exchanges (id, agent_id, kernel_version, prompt, response, model)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id),
     sampled AS (
       SELECT id, created_at FROM endorsements
        WHERE agent_id = $2 AND state IN ('staged', 'inconclusive') AND $7 < (settings->>'samplingRate')::float8),
     queued AS (
       INSERT INTO shadow_samples (endorsement_id, exchange_id)
       SELECT sampled.id, exchange.id FROM sampled, exchange ON CONFLICT DO NOTHING),
     woken AS (
       UPDATE endorsements SET wake_requested = true
        WHERE id IN (SELECT id FROM sampled) AND wake_requested = false RETURNING id)
     SELECT sampled.id, EXISTS (SELECT 1 FROM woken WHERE woken.id = sampled.id) AS wake
       FROM sampled ORDER BY sampled.created_at`,
    [exchangeId, e.agentId, e.kernelVersion, e.prompt, e.response, e.model, draw],
  );
  return { exchangeId, queued: rows.map((r) => ({ endorsementId: r.id, wake: r.wake })) };
}

export interface SampleOutcome {
  endorsementId: string;
  exchangeId: string;
  status: 'pending' | 'scored' | 'failed';
  divergence: number | null;
  drift: number | null;
  tier: string | null;
  critical: boolean | null;
  reason: string | null;
}

export async function sampleOutcomes(q: Queryable, exchangeId: string): Promise<SampleOutcome[]> {
  const { rows } = await q.query<{
    endorsement_id: string; exchange_id: string; status: SampleOutcome['status']; divergence: number | null;
    drift: number | null; tier: string | null; critical: boolean | null; reason: string | null;
  }>(`SELECT endorsement_id, exchange_id, status, divergence, drift, tier, critical, reason FROM shadow_samples WHERE exchange_id = $1 ORDER BY seq`, [exchangeId]);
  return rows.map((r) => ({
    endorsementId: r.endorsement_id,
    exchangeId: r.exchange_id,
    status: r.status,
    divergence: r.divergence,
    drift: r.drift,
    tier: r.tier,
    critical: r.critical,
    reason: r.reason,
  }));
}

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

type ScoredSample =
  | {
      exchangeId: string;
      status: 'scored';
      shadow: string;
      divergence: number;
      drift: number;
      judge: JudgeVerdict | null;
      tier: string;
      critical: boolean;
      reason: string | null;
    }
  | { exchangeId: string; status: 'failed'; reason: string };

/**
 * Writes a batch's outcomes in one transaction: one UPDATE of the samples still pending (a
 * retried batch finds its first attempt's rows already written and records nothing twice) and
 * one provenance append for the rows it changed.
 */
async function recordScoredSamples(
  pool: pg.Pool,
  provenanceKey: string,
  endorsementId: string,
  model: string,
  outcomes: ScoredSample[],
): Promise<{ scored: number; failed: number }> {
  if (outcomes.length === 0) return { scored: 0, failed: 0 };
  const scored = (o: ScoredSample) => (o.status === 'scored' ? o : undefined);
  return withTransaction(pool, async (tx) => {
    const updated = await tx.query<{ exchange_id: string }>(
      `UPDATE shadow_samples s
          SET status = u.status, shadow_response = u.shadow, model = u.model, divergence = u.divergence, drift = u.drift,
              tier = u.tier, critical = u.critical, judge = u.judge, reason = u.reason, scored_at = now(),
              attempts = s.attempts + u.attempts
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[], $9::bool[], $10::jsonb[], $11::text[], $12::int[])
              AS u(exchange_id, status, shadow, model, divergence, drift, tier, critical, judge, reason, attempts)
        WHERE s.endorsement_id = $1 AND s.exchange_id = u.exchange_id AND s.status = 'pending'
        RETURNING s.exchange_id`,
      [
        endorsementId,
        outcomes.map((o) => o.exchangeId),
        outcomes.map((o) => o.status),
        outcomes.map((o) => scored(o)?.shadow ?? null),
        outcomes.map((o) => (o.status === 'scored' ? model : null)),
        outcomes.map((o) => scored(o)?.divergence ?? null),
        outcomes.map((o) => scored(o)?.drift ?? null),
        outcomes.map((o) => scored(o)?.tier ?? null),
        outcomes.map((o) => scored(o)?.critical ?? null),
        outcomes.map((o) => { const j = scored(o)?.judge; return j ? JSON.stringify(j) : null; }),
        outcomes.map((o) => o.reason),
        outcomes.map((o) => (o.status === 'scored' ? 1 : MAX_ATTEMPTS)),
      ],
    );
    const written = new Set(updated.rows.map((r) => r.exchange_id));
    const recorded = outcomes.filter((o) => written.has(o.exchangeId));
    await appendProvenanceBatch(
      tx,
      provenanceKey,
      recorded.map((o) => ({
        kind: o.status === 'scored' ? 'endorsement.shadow_scored' : 'endorsement.shadow_failed',
        subject: `endorsement:${endorsementId}`,
        actor: null,
        payload:
          o.status === 'scored'
            ? {
                exchangeId: o.exchangeId,
                divergence: o.divergence,
                drift: o.drift,
                tier: o.tier,
                critical: o.critical,
                ...(o.judge ? { judge: { verdict: o.judge.verdict, confidence: o.judge.confidence } } : {}),
              }
            : { exchangeId: o.exchangeId, attempts: MAX_ATTEMPTS },
        idempotencyKey: `${endorsementId}/sample/${o.exchangeId}`,
      })),
    );
    return {
      scored: recorded.filter((o) => o.status === 'scored').length,
      failed: recorded.filter((o) => o.status === 'failed').length,
    };
  });
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
  const { rows } = await pool.query<{ exchange_id: string; prompt: string; response: string; kernel_version: number; attempts: number }>(
    `SELECT s.exchange_id, e.prompt, e.response, e.kernel_version, s.attempts
       FROM shadow_samples s JOIN chat_exchanges e ON e.id = s.exchange_id
      WHERE s.endorsement_id = $1 AND s.status = 'pending' ORDER BY s.seq LIMIT $2`,
    [input.endorsementId, input.limit],
  );
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
    const { production, sandbox, identity: identityText } = await kernelAt(row.kernel_version);
    try {
      const scored = await withBackoff(
        async () => {
          const shadow = await models.reply(sandbox, row.prompt);
          const [live, shadowVec, identity] = await models.embed([row.response, shadow, identityText]);
          const divergence = l1Divergence(live!, shadowVec!);
          const judge = divergenceTier(divergence, t) === 'judge' ? await models.judge(production, row.prompt, shadow) : null;
          return { shadow, divergence, drift: l1Divergence(identity!, shadowVec!), judge };
        },
        MAX_ATTEMPTS,
        input.retryBaseMs ?? 250,
      );
      const c = classifySample(scored.divergence, t, scored.judge ?? undefined);
      outcomes.push({ exchangeId: row.exchange_id, status: 'scored', ...scored, ...c });
      // No point scoring more: one critical sample rejects the change.
      if (c.critical) break;
    } catch (error) {
      outcomes.push({ exchangeId: row.exchange_id, status: 'failed', reason: `model failed: ${(error as Error).message.slice(0, 200)}` });
    }
  }
  const result = await recordScoredSamples(pool, provenanceKey, input.endorsementId, models.chatModel, outcomes);
  const { pending, meanDrift: _drift, ...evidence } = await evidenceOf(pool, input.endorsementId);
  // The evidence counts critical samples; only when there is one is it worth reading which.
  const critical =
    evidence.critical > 0
      ? await pool.query<{ exchange_id: string; divergence: number; reason: string }>(
          `SELECT exchange_id, divergence, reason FROM shadow_samples WHERE endorsement_id = $1 AND status = 'scored' AND critical ORDER BY seq LIMIT 1`,
          [input.endorsementId],
        )
      : undefined;
  const first = critical?.rows[0];
  return {
    ...result,
    critical: first ? { exchangeId: first.exchange_id, divergence: first.divergence, reason: first.reason } : null,
    evidence,
    more: !first && (pending > 0 || (await samplesArrivedWhileFallingAsleep(pool, input.endorsementId))),
  };
}

/**
 * The wake flag stays up while the workflow keeps scoring (a backlog needs no signal: the
 * workflow runs the next batch anyway, so chats meanwhile send none). Once the queue is empty
 * it is lowered, and the queue looked at once more: a chat that queued a sample before the flag
 * went down saw it up and sent no signal, so its sample is picked up here; one after flips the
 * flag itself and signals.
 */
async function samplesArrivedWhileFallingAsleep(pool: pg.Pool, endorsementId: string): Promise<boolean> {
  await pool.query('UPDATE endorsements SET wake_requested = false WHERE id = $1', [endorsementId]);
  const { rows } = await pool.query<{ pending: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM shadow_samples WHERE endorsement_id = $1 AND status = 'pending') AS pending`,
    [endorsementId],
  );
  if (!rows[0]?.pending) return false;
  await pool.query('UPDATE endorsements SET wake_requested = true WHERE id = $1', [endorsementId]);
  return true;
}
