import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { appendProvenanceBatch } from '../provenance/log';
import { withTransaction, type Queryable } from '../pool';
import { camelRow } from '../row-mapper';
import type { EvidenceSummary } from '../../domain/endorsement/cooldown';
import type { JudgeVerdict } from '../../domain/endorsement/divergence-tier';

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
  return rows.map(camelRow);
}

/** A sample's outcome as a batch computed it, before it is written. */
export type ScoredSample =
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
  | { exchangeId: string; status: 'failed'; reason: string; attempts: number };

/**
 * Writes a batch's outcomes in one transaction: one UPDATE of the samples still pending (a
 * retried batch finds its first attempt's rows already written and records nothing twice) and
 * one provenance append for the rows it changed.
 */
export async function recordScoredSamples(
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
        outcomes.map((o) => (o.status === 'scored' ? 1 : o.attempts)),
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
            : { exchangeId: o.exchangeId, attempts: o.attempts },
        idempotencyKey: `${endorsementId}/sample/${o.exchangeId}`,
      })),
    );
    return {
      scored: recorded.filter((o) => o.status === 'scored').length,
      failed: recorded.filter((o) => o.status === 'failed').length,
    };
  });
}

export interface PendingSample {
  exchangeId: string;
  prompt: string;
  response: string;
  kernelVersion: number;
  attempts: number;
}

/** Up to `limit` samples of the endorsement still to score, oldest first, with the exchange they shadow. */
export async function pendingSamples(q: Queryable, endorsementId: string, limit: number): Promise<PendingSample[]> {
  const { rows } = await q.query<{ exchange_id: string; prompt: string; response: string; kernel_version: number; attempts: number }>(
    `SELECT s.exchange_id, e.prompt, e.response, e.kernel_version, s.attempts
       FROM shadow_samples s JOIN chat_exchanges e ON e.id = s.exchange_id
      WHERE s.endorsement_id = $1 AND s.status = 'pending' ORDER BY s.seq LIMIT $2`,
    [endorsementId, limit],
  );
  return rows.map(camelRow);
}

/** The endorsement's first critical sample, if any. */
export async function firstCriticalSample(q: Queryable, endorsementId: string): Promise<{ exchangeId: string; divergence: number; reason: string } | undefined> {
  const { rows } = await q.query<{ exchange_id: string; divergence: number; reason: string }>(
    `SELECT exchange_id, divergence, reason FROM shadow_samples WHERE endorsement_id = $1 AND status = 'scored' AND critical ORDER BY seq LIMIT 1`,
    [endorsementId],
  );
  return rows[0] ? camelRow(rows[0]) : undefined;
}

/**
 * The wake flag stays up while the workflow keeps scoring (a backlog needs no signal: the
 * workflow runs the next batch anyway, so chats meanwhile send none). Once the queue is empty
 * it is lowered, and the queue looked at once more: a chat that queued a sample before the flag
 * went down saw it up and sent no signal, so its sample is picked up here; one after flips the
 * flag itself and signals.
 */
export async function samplesArrivedWhileFallingAsleep(pool: pg.Pool, endorsementId: string): Promise<boolean> {
  await pool.query('UPDATE endorsements SET wake_requested = false WHERE id = $1', [endorsementId]);
  const { rows } = await pool.query<{ pending: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM shadow_samples WHERE endorsement_id = $1 AND status = 'pending') AS pending`,
    [endorsementId],
  );
  if (!rows[0]?.pending) return false;
  await pool.query('UPDATE endorsements SET wake_requested = true WHERE id = $1', [endorsementId]);
  return true;
}

/**
 * A wake-up signal did not arrive: the flag goes down again so the next chat that queues a sample
 * sends one (with the flag left up, every chat would take the wake-up as outstanding).
 */
export async function wakeUpLost(q: Queryable, endorsementId: string): Promise<void> {
  await q.query('UPDATE endorsements SET wake_requested = false WHERE id = $1', [endorsementId]);
}

/** Totals over every sample of an endorsement, straight from the table (so retries cannot double count). */
export async function evidenceOf(q: Queryable, endorsementId: string): Promise<EvidenceSummary & { meanDrift: number | null; pending: number }> {
  const { rows } = await q.query<{ count: number; sum: number | null; max: number | null; critical: number; failed: number; pending: number; mean_drift: number | null }>(
    `SELECT count(*) FILTER (WHERE status = 'scored')::bigint AS count,
            sum(divergence) FILTER (WHERE status = 'scored') AS sum,
            max(divergence) FILTER (WHERE status = 'scored') AS max,
            count(*) FILTER (WHERE status = 'scored' AND critical)::bigint AS critical,
            count(*) FILTER (WHERE status = 'failed')::bigint AS failed,
            count(*) FILTER (WHERE status = 'pending')::bigint AS pending,
            avg(drift) FILTER (WHERE status = 'scored') AS mean_drift
       FROM shadow_samples WHERE endorsement_id = $1`,
    [endorsementId],
  );
  const r = rows[0]!;
  return {
    count: r.count,
    sum: r.sum ?? 0,
    max: r.max ?? 0,
    critical: r.critical,
    failed: r.failed,
    pending: r.pending,
    meanDrift: r.mean_drift,
  };
}

export interface DivergencePoint {
  at: string;
  divergence: number;
  critical: boolean;
}

/** Scored shadow samples of one endorsement in scoring order (the newest `limit`), for the dashboard's chart. */
export async function divergenceSeries(q: Queryable, endorsementId: string, limit = 200): Promise<DivergencePoint[]> {
  const { rows } = await q.query<{ scored_at: Date; divergence: number; critical: boolean | null }>(
    `SELECT scored_at, divergence, critical FROM (
       SELECT scored_at, divergence, critical, seq FROM shadow_samples
        WHERE endorsement_id = $1 AND status = 'scored' AND divergence IS NOT NULL
        ORDER BY seq DESC LIMIT $2) newest
      ORDER BY seq`,
    [endorsementId, limit],
  );
  return rows.map((r) => ({ at: r.scored_at.toISOString(), divergence: r.divergence, critical: r.critical === true }));
}

/** The divergence of every scored shadow sample with its agent, for the metrics histogram. */
export async function scoredDivergences(q: Queryable): Promise<{ agentId: string; divergence: number }[]> {
  const { rows } = await q.query<{ agent_id: string; divergence: number }>(
    `SELECT e.agent_id, s.divergence FROM shadow_samples s JOIN endorsements e ON e.id = s.endorsement_id
      WHERE s.status = 'scored' AND s.divergence IS NOT NULL`,
  );
  return rows.map(camelRow);
}
