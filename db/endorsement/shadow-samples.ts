import { TOKEN_REFUSAL_SQL, TokenRefusedError } from '../access/api-tokens';
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../../domain/non-workflow/sha256';
import type pg from 'pg';
import { appendProvenanceBatch, withProvenanceTransaction } from '../provenance/log';
import { withTransaction, type KeyedLock, type Queryable } from '../pool';
import { camelRow, type CamelRow } from '../row-mapper';
import type { EvidenceSummary } from '../../domain/endorsement/cooldown';
import type { JudgeVerdict } from '../../domain/endorsement/divergence-tier';

export interface QueuedSample {
  endorsementId: string;
  /** True when this caller must wake the workflow; false when a wake-up is already outstanding. */
  wake: boolean;
}

/** The family of the agents' wake locks in the two-key advisory space (apart from the one-key locks). */
const WAKE_LOCK_FAMILY = 7_246_210;

/**
 * The wake lock of an agent's staged endorsements: chats recording an exchange hold it shared, a
 * scorer lowering the flag holds it exclusively. Two agents whose ids hash alike only share a lock.
 */
export function wakeLock(agentId: string, shared: boolean): KeyedLock {
  return { key: [WAKE_LOCK_FAMILY, Buffer.from(sha256Hex(agentId).slice(0, 8), 'hex').readInt32BE(0)], shared };
}

/** Length in characters (code points), as a person counts them. */
const characters = (text: string) => [...text].length;

/**
 * Records a live exchange and queues it as a shadow sample for every staged (or inconclusive)
 * endorsement of the agent whose sampling rate takes it (`draw` is uniform in [0, 1): each
 * endorsement takes the exchange when draw < its rate). The wake flag is flipped with a
 * compare-and-set so that, however many chats arrive, one signal wakes the workflow for the whole
 * batch. One transaction on the live path: its BEGIN takes the agent's wake lock shared (same round
 * trip), then one statement records the exchange.
 */
export async function recordExchange(
  pool: pg.Pool,
  e: { agentId: string; kernelVersion: number; prompt: string; response: string; model: string },
  draw: number,
  /** The API token the caller was authenticated with from a cache: recorded only while it still holds. */
  tokenId: string | null = null,
): Promise<{ exchangeId: string; queued: QueuedSample[] }> {
  const exchangeId = `ex-${randomUUID()}`;
  // The agent's wake lock, shared: chats record side by side, and a scorer lowering the wake flag
  // (samplesArrivedWhileFallingAsleep takes it exclusively) waits for every chat still recording,
  // then sees its sample; the statement below, begun after the lock, reads the flag as it is now.
  // Without it, a chat whose snapshot still showed the flag up sent no signal while the scorer, not
  // seeing the uncommitted sample yet, went to sleep: the sample waited for the deadline. (A row
  // lock on the staged endorsement did the same, but made the chats of a shadowed agent queue one
  // behind another through their commits: p99 1.11x the unshadowed chat's on PostgreSQL at 8 at once.)
  const { rows } = await withTransaction(
    pool,
    async (q) => {
      if (tokenId !== null) {
        // A token the caller took from a cache is re-validated inside the exchange's transaction
        // (TokenRefusedError rolls it back): only the gateways pass one.
        const { rows: token } = await q.query<{ refusal: string | null }>(
          `SELECT ${TOKEN_REFUSAL_SQL('t')} AS refusal FROM (SELECT $1::text AS id) i LEFT JOIN api_tokens t ON t.id = i.id`,
          [tokenId],
        );
        if (token[0]?.refusal) throw new TokenRefusedError(token[0].refusal);
      }
      return q.query<{ id: string; wake: boolean }>(
        `WITH sampled AS (
       SELECT id, created_at FROM endorsements
        WHERE agent_id = $2 AND state IN ('staged', 'inconclusive') AND $7 < (settings->>'samplingRate')::float8),
     -- The text is needed by the shadow samples; otherwise only an agent that logs requests keeps it.
     keep AS (
       SELECT EXISTS (SELECT 1 FROM sampled)
              OR COALESCE((SELECT (settings->>'logRequests')::boolean FROM agents WHERE id = $2), true) AS text),
     exchange AS (
       INSERT INTO chat_exchanges (id, agent_id, kernel_version, prompt, response, model,
                                   prompt_sha256, prompt_length, response_sha256, response_length, redacted_at)
       SELECT $1, $2, $3, CASE WHEN keep.text THEN $4::text ELSE '' END, CASE WHEN keep.text THEN $5::text ELSE '' END, $6,
              $8, $9, $10, $11, CASE WHEN keep.text THEN NULL ELSE now() END
         FROM keep RETURNING id),
     queued AS (
       INSERT INTO shadow_samples (endorsement_id, exchange_id)
       SELECT sampled.id, exchange.id FROM sampled, exchange ON CONFLICT DO NOTHING),
     woken AS (
       UPDATE endorsements SET wake_requested = true
        WHERE id IN (SELECT id FROM sampled) AND wake_requested = false RETURNING id)
     SELECT sampled.id, EXISTS (SELECT 1 FROM woken WHERE woken.id = sampled.id) AS wake
       FROM sampled ORDER BY sampled.created_at`,
        [
          exchangeId,
          e.agentId,
          e.kernelVersion,
          e.prompt,
          e.response,
          e.model,
          draw,
          sha256Hex(e.prompt),
          characters(e.prompt),
          sha256Hex(e.response),
          characters(e.response),
        ],
      );
    },
    { lock: wakeLock(e.agentId, true) },
  );
  return { exchangeId, queued: rows.map((r) => ({ endorsementId: r.id, wake: r.wake })) };
}

/**
 * The statements a scoring batch runs: each is served by an index of migration 015 or 017
 * (test/integration/endorsement/sample-indexes.test.ts checks the plans), so its cost grows neither
 * with the samples ever scored nor with the queue behind the batch.
 */
export const SAMPLE_READS = {
  /** The batch: the oldest pending samples, an ordered range of the queue index that stops at `$2`. */
  pendingBatch: `SELECT s.exchange_id, s.seq, e.prompt, e.response, e.kernel_version, s.attempts
       FROM shadow_samples s JOIN chat_exchanges e ON e.id = s.exchange_id
      WHERE s.endorsement_id = $1 AND s.status = 'pending' ORDER BY s.seq LIMIT $2`,
  /**
   * The batch's outcomes. Bounded by the batch's seq range ($13, $14): with statistics taken while
   * the queue was empty the planner expects one pending sample and would hash-join the whole queue.
   */
  scoreBatch: `UPDATE shadow_samples s
          SET status = u.status, shadow_response = u.shadow, model = u.model, divergence = u.divergence, drift = u.drift,
              tier = u.tier, critical = u.critical, judge = u.judge, reason = u.reason, scored_at = now(),
              attempts = s.attempts + u.attempts
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[], $9::bool[], $10::jsonb[], $11::text[], $12::int[])
              AS u(exchange_id, status, shadow, model, divergence, drift, tier, critical, judge, reason, attempts)
        WHERE s.endorsement_id = $1 AND s.seq BETWEEN $13::bigint AND $14::bigint
          AND s.exchange_id = u.exchange_id AND s.status = 'pending'
        RETURNING s.exchange_id`,
  /** Whether the endorsement has samples left: at most `$2` of them are counted (none: all). */
  pendingCount: `SELECT count(*) AS pending FROM (
       SELECT 1 FROM shadow_samples p WHERE p.endorsement_id = $1 AND p.status = 'pending' LIMIT $2) p`,
  outcomesByExchange: `SELECT endorsement_id, exchange_id, status, divergence, drift, tier, critical, reason FROM shadow_samples WHERE exchange_id = $1 ORDER BY seq`,
  /**
   * Blanks an exchange's text once none of its samples is pending, spelt as neither scored nor
   * failed (the CHECK's third value): the probe by exchange then implies no partial index, where
   * `status = 'pending'` let the planner, on statistics taken with an empty queue, walk the queue
   * index across every endorsement's queue instead of probing shadow_samples_exchange_idx (017).
   */
  blankUnlogged: `UPDATE chat_exchanges e
        SET prompt = '', response = '', redacted_at = now(),
            prompt_sha256 = COALESCE(e.prompt_sha256, encode(sha256(convert_to(e.prompt, 'UTF8')), 'hex')),
            prompt_length = COALESCE(e.prompt_length, char_length(e.prompt)),
            response_sha256 = COALESCE(e.response_sha256, encode(sha256(convert_to(e.response, 'UTF8')), 'hex')),
            response_length = COALESCE(e.response_length, char_length(e.response))
       FROM agents a
      WHERE e.id = ANY($1::text[]) AND a.id = e.agent_id AND e.redacted_at IS NULL
        AND (a.settings->>'logRequests')::boolean IS FALSE
        AND NOT EXISTS (SELECT 1 FROM shadow_samples s WHERE s.exchange_id = e.id AND s.status NOT IN ('scored', 'failed'))`,
  firstCritical: `SELECT exchange_id, divergence, reason FROM shadow_samples WHERE endorsement_id = $1 AND status = 'scored' AND critical ORDER BY seq LIMIT 1`,
} as const;

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
    endorsement_id: string;
    exchange_id: string;
    status: SampleOutcome['status'];
    divergence: number | null;
    drift: number | null;
    tier: string | null;
    critical: boolean | null;
    reason: string | null;
  }>(SAMPLE_READS.outcomesByExchange, [exchangeId]);
  return rows.map(camelRow);
}

/** A sample's outcome as a batch computed it, before it is written. */
export type ScoredSample =
  | {
      exchangeId: string;
      /** The sample's place in the queue (int8, as pg returns it). */
      seq: string;
      status: 'scored';
      shadow: string;
      divergence: number;
      drift: number;
      judge: JudgeVerdict | null;
      tier: string;
      critical: boolean;
      reason: string | null;
    }
  | { exchangeId: string; seq: string; status: 'failed'; reason: string; attempts: number };

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
  return withProvenanceTransaction(pool, async (tx) => {
    // Serialises batches of different endorsements that share an exchange, so the last one to
    // score it sees the others' samples scored and blanks the text (see blankUnloggedExchanges).
    await tx.query(`SELECT id FROM chat_exchanges WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`, [
      outcomes.map((o) => o.exchangeId),
    ]);
    const seqs = outcomes.map((o) => BigInt(o.seq));
    const updated = await tx.query<{ exchange_id: string }>(SAMPLE_READS.scoreBatch, [
      endorsementId,
      outcomes.map((o) => o.exchangeId),
      outcomes.map((o) => o.status),
      outcomes.map((o) => scored(o)?.shadow ?? null),
      outcomes.map((o) => (o.status === 'scored' ? model : null)),
      outcomes.map((o) => scored(o)?.divergence ?? null),
      outcomes.map((o) => scored(o)?.drift ?? null),
      outcomes.map((o) => scored(o)?.tier ?? null),
      outcomes.map((o) => scored(o)?.critical ?? null),
      outcomes.map((o) => {
        const j = scored(o)?.judge;
        return j ? JSON.stringify(j) : null;
      }),
      outcomes.map((o) => o.reason),
      outcomes.map((o) => (o.status === 'scored' ? 1 : o.attempts)),
      String(seqs.reduce((a, b) => (b < a ? b : a))),
      String(seqs.reduce((a, b) => (b > a ? b : a))),
    ]);
    const written = new Set(updated.rows.map((r) => r.exchange_id));
    const recorded = outcomes.filter((o) => written.has(o.exchangeId));
    await blankUnloggedExchanges(tx, [...written]);
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

/**
 * log_requests off: an exchange's text is kept only while a shadow sample still needs it. Once
 * none of its samples is pending, prompt and answer are blanked; their SHA-256 and length stay
 * (computed here for exchanges recorded before those columns existed).
 */
async function blankUnloggedExchanges(q: Queryable, exchangeIds: string[]): Promise<void> {
  if (exchangeIds.length === 0) return;
  await q.query(SAMPLE_READS.blankUnlogged, [exchangeIds]);
}

interface ExchangeRow {
  id: string;
  agent_id: string;
  prompt: string;
  response: string;
  prompt_sha256: string | null;
  prompt_length: number | null;
  response_sha256: string | null;
  response_length: number | null;
  redacted_at: Date | null;
}
export type StoredExchange = CamelRow<ExchangeRow>;

/** One exchange as stored (blank text once redacted), for audits and tests of log_requests. */
export async function findExchange(q: Queryable, exchangeId: string): Promise<StoredExchange | undefined> {
  const { rows } = await q.query<ExchangeRow>(
    `SELECT id, agent_id, prompt, response, prompt_sha256, prompt_length, response_sha256, response_length, redacted_at
       FROM chat_exchanges WHERE id = $1`,
    [exchangeId],
  );
  return rows[0] ? camelRow(rows[0]) : undefined;
}

export interface PendingSample {
  exchangeId: string;
  seq: string;
  prompt: string;
  response: string;
  kernelVersion: number;
  attempts: number;
}

/** Up to `limit` samples of the endorsement still to score, oldest first, with the exchange they shadow. */
export async function pendingSamples(q: Queryable, endorsementId: string, limit: number): Promise<PendingSample[]> {
  const { rows } = await q.query<{
    exchange_id: string;
    seq: string;
    prompt: string;
    response: string;
    kernel_version: number;
    attempts: number;
  }>(SAMPLE_READS.pendingBatch, [endorsementId, limit]);
  return rows.map(camelRow);
}

/** The endorsement's first critical sample, if any. */
export async function firstCriticalSample(
  q: Queryable,
  endorsementId: string,
): Promise<{ exchangeId: string; divergence: number; reason: string } | undefined> {
  const { rows } = await q.query<{ exchange_id: string; divergence: number; reason: string }>(
    SAMPLE_READS.firstCritical,
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
  const agent = await pool.query<{ agent_id: string }>('SELECT agent_id FROM endorsements WHERE id = $1', [
    endorsementId,
  ]);
  if (!agent.rows[0]) return false;
  // Exclusively, before the row is touched: every chat still recording commits first (its sample is
  // seen below), and a chat after this reads the flag down and signals. (The lock before the row: a
  // chat holding it shared may be waiting for the row to raise the flag.)
  await withTransaction(
    pool,
    (tx) => tx.query('UPDATE endorsements SET wake_requested = false WHERE id = $1', [endorsementId]),
    { lock: wakeLock(agent.rows[0].agent_id, false) },
  );
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

/**
 * An endorsement's evidence: the running totals of its scored and failed samples (migration 011
 * keeps them in the statement that scores a batch, which moves each sample out of pending once, so
 * retries cannot double count) and its pending samples counted through their index. The cost does
 * not grow with the endorsement's history.
 */
export async function evidenceOf(
  q: Queryable,
  endorsementId: string,
  /** Count the pending samples only up to this many (a scoring batch asks whether any is left: 1). */
  pendingUpTo: number | null = null,
): Promise<EvidenceSummary & { meanDrift: number | null; pending: number }> {
  const { rows } = await q.query<{
    count: number;
    sum: number;
    max: number | null;
    critical: number;
    failed: number;
    pending: number;
    mean_drift: number | null;
  }>(
    `SELECT coalesce(t.scored, 0)::bigint AS count, coalesce(t.divergence_sum, 0) AS sum, t.divergence_max AS max,
            coalesce(t.critical, 0)::bigint AS critical, coalesce(t.failed, 0)::bigint AS failed,
            (${SAMPLE_READS.pendingCount})::bigint AS pending,
            CASE WHEN t.drift_count > 0 THEN t.drift_sum / t.drift_count END AS mean_drift
       FROM (SELECT 1) AS one LEFT JOIN shadow_evidence_totals t ON t.endorsement_id = $1`,
    [endorsementId, pendingUpTo],
  );
  const r = rows[0]!;
  return {
    count: r.count,
    sum: r.sum,
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
  /** Identity drift of the same shadow answer (null when it was not measured). */
  drift: number | null;
  critical: boolean;
}

/** Scored shadow samples of one endorsement in scoring order (the newest `limit`), for the dashboard's chart. */
export async function divergenceSeries(q: Queryable, endorsementId: string, limit = 200): Promise<DivergencePoint[]> {
  const { rows } = await q.query<{
    scored_at: Date;
    divergence: number;
    drift: number | null;
    critical: boolean | null;
  }>(
    `SELECT scored_at, divergence, drift, critical FROM (
       SELECT scored_at, divergence, drift, critical, seq FROM shadow_samples
        WHERE endorsement_id = $1 AND status = 'scored' AND divergence IS NOT NULL
        ORDER BY seq DESC LIMIT $2) newest
      ORDER BY seq`,
    [endorsementId, limit],
  );
  return rows.map((r) => ({
    at: r.scored_at.toISOString(),
    divergence: r.divergence,
    drift: r.drift,
    critical: r.critical === true,
  }));
}

/** The divergence of every scored shadow sample with its agent, for the metrics histogram. */
export async function scoredDivergences(q: Queryable): Promise<{ agentId: string; divergence: number }[]> {
  const { rows } = await q.query<{ agent_id: string; divergence: number }>(
    `SELECT e.agent_id, s.divergence FROM shadow_samples s JOIN endorsements e ON e.id = s.endorsement_id
      WHERE s.status = 'scored' AND s.divergence IS NOT NULL`,
  );
  return rows.map(camelRow);
}
