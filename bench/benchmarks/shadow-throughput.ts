import type pg from 'pg';
import type { Client } from '@temporalio/client';
import { loadKernelVersion } from '../../db/endorsement/agents';
import { SAMPLE_READS } from '../../db/endorsement/shadow-samples';
import { createModelGateway } from '../../models/model-gateway';
import { shadowSamplesPendingSignal } from '../../workflows/endorsement/contract';
import type { Benchmark } from '../benchmark';
import { BENIGN, benchOperator, stagedEndorsement } from '../fixtures';
import { startLocalStack } from '../stack/local-stack';

const HISTORY_LIMIT = 10_240;

/**
 * Queues `count` exchanges of the agent as pending shadow samples in two statements, as `chat`
 * would have left them (the live answers are the production kernel's).
 */
async function queueSamples(
  pool: pg.Pool,
  agentId: string,
  endorsementId: string,
  count: number,
  live: Map<string, string>,
): Promise<void> {
  const prompts = [...live.keys()];
  await pool.query(
    `INSERT INTO chat_exchanges (id, agent_id, kernel_version, prompt, response, model)
     SELECT $2 || '-' || g, $1, 1, ($3::text[])[1 + g % cardinality($3::text[])], ($4::text[])[1 + g % cardinality($4::text[])], 'warden-embedded'
       FROM generate_series(1, $5::int) g`,
    [agentId, `ex-bench-${endorsementId}`, prompts, prompts.map((p) => live.get(p)!), count],
  );
  await pool.query(
    `INSERT INTO shadow_samples (endorsement_id, exchange_id)
     SELECT $1, $2 || '-' || g FROM generate_series(1, $3::int) g ORDER BY g`,
    [endorsementId, `ex-bench-${endorsementId}`, count],
  );
}

/**
 * Months of history for one endorsement, written before its pending samples are queued: `count`
 * exchanges and as many samples already scored (aligned, not critical), in set-based statements,
 * and the running totals recounted once as migration 011 would have kept them. The provenance chain
 * is not lengthened (one entry per sample would need a signed hash chain, not a set-based write):
 * a batch reads it only through its primary key (the head) and the unique idempotency-key index.
 */
async function seedScoredHistory(pool: pg.Pool, agentId: string, endorsementId: string, count: number): Promise<void> {
  const prefix = `ex-history-${endorsementId}`;
  await pool.query(
    `INSERT INTO chat_exchanges (id, agent_id, kernel_version, prompt, response, model, created_at)
     SELECT $2 || '-' || g, $1, 1, 'history', 'history', 'warden-embedded', now() - interval '90 days'
       FROM generate_series(1, $3::int) g`,
    [agentId, prefix, count],
  );
  await pool.query(
    `INSERT INTO shadow_samples (endorsement_id, exchange_id, status, attempts, shadow_response, model, divergence, drift,
                                 tier, critical, created_at, scored_at)
     SELECT $1, $2 || '-' || g, 'scored', 1, 'history', 'warden-embedded', (g % 100) / 2000.0, 0.1,
            'aligned', false, now() - interval '90 days', now() - interval '90 days'
       FROM generate_series(1, $3::int) g ORDER BY g`,
    [endorsementId, prefix, count],
  );
  await pool.query('SELECT shadow_evidence_recount(ARRAY[$1]::text[])', [endorsementId]);
  // Months-old rows are long since vacuumed and checkpointed: the bulk write's aftermath (hint
  // bits, the visibility map, dirty pages) is settled before the clock starts, not charged to it.
  await pool.query('VACUUM ANALYZE shadow_samples');
  await pool.query('VACUUM ANALYZE chat_exchanges');
  await pool.query('CHECKPOINT');
}

/**
 * The plans of what a scoring batch reads, on the endorsement with the seeded history (the
 * statements of db/endorsement/shadow-samples.ts and db/provenance/log.ts, with its ids): none may
 * walk the history (a `Seq Scan on shadow_samples`, or an index scan over all its scored rows).
 */
async function batchPlans(pool: pg.Pool, endorsementId: string): Promise<Record<string, string>> {
  const { rows: some } = await pool.query<{ exchange_id: string; seq: string }>(
    `SELECT exchange_id, seq FROM shadow_samples WHERE endorsement_id = $1 AND status = 'scored' ORDER BY seq DESC LIMIT 25`,
    [endorsementId],
  );
  const ids = some.map((r) => r.exchange_id);
  const column = <T>(v: T) => ids.map(() => v);
  const statements: Record<string, [string, unknown[]]> = {
    pending: [SAMPLE_READS.pendingBatch, [endorsementId, 25]],
    score: [
      SAMPLE_READS.scoreBatch,
      [
        endorsementId,
        ids,
        column('scored'),
        column('a shadow answer'),
        column('warden-embedded'),
        column(0.01),
        column(0.1),
        column('aligned'),
        column(false),
        column(null),
        column(null),
        column(1),
        some.at(-1)?.seq ?? '0',
        some[0]?.seq ?? '0',
      ],
    ],
    still_pending_by_exchange: [SAMPLE_READS.blankUnlogged, [ids]],
    any_left: [SAMPLE_READS.pendingCount, [endorsementId, 1]],
    first_critical: [SAMPLE_READS.firstCritical, [endorsementId]],
    provenance_keys: [
      'SELECT seq FROM provenance_log WHERE idem_key = ANY($1::text[])',
      [ids.map((id) => `${endorsementId}/sample/${id}`)],
    ],
    provenance_head: ['SELECT seq, content_hash FROM provenance_log ORDER BY seq DESC LIMIT 1', []],
  };
  const plans: Record<string, string> = {};
  for (const [name, [sql, params]] of Object.entries(statements)) {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    plans[name] = rows.map((r) => r['QUERY PLAN']).join('\n');
  }
  return plans;
}

async function largestHistory(temporal: Client, workflowId: string): Promise<{ largest: number; runs: number }> {
  let largest = 0;
  let runs = 0;
  for await (const info of temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs += 1;
    largest = Math.max(largest, info.historyLength);
  }
  // Visibility may lag for the running execution; its own description is authoritative.
  const d = await temporal.workflow.getHandle(workflowId).describe();
  return { largest: Math.max(largest, d.historyLength), runs: Math.max(runs, 1) };
}

/** Item 3: how fast the workflows score queued shadow samples. */
export const shadowThroughput: Benchmark = {
  name: 'shadow-throughput',
  item: 3,
  title: 'Shadow throughput',
  method:
    'Staged endorsements of the seed rule (embedded model). Each gets its samples queued in PostgreSQL as `chat` queues them ' +
    '(exchange rows and pending shadow samples, written in two set-based statements before the clock starts), then one wake-up ' +
    'signal; the clock stops when no sample is pending (asked every 100 ms through the queue index, stopping at the ' +
    'first; counted once a second for the progress samples). Throughput is scored samples ' +
    'per second of that interval, for one endorsement, for ten at once (aggregate), and for one endorsement that already has ' +
    'months of history: 1,000,000 scored samples (and their exchanges) written set-based before its samples are queued, the ' +
    'running totals recounted once as migration 011 keeps them. The ratio of the fresh rate to the rate with history is the ' +
    "growth of a batch's cost with history (the fresh run is the first of the process, so it also carries the warm-up). The " +
    'plans of every read a batch makes are taken on the endorsement with history (results file, `details`). The largest ' +
    'history of any run of each workflow is read from visibility (`historyLength`) and describe; Temporal warns at 10,240 events.',
  limits:
    'A batch of up to 25 samples is scored in memory (sandbox answer, three embeddings, the judge when a sample falls in its ' +
    'band) and then written in one transaction: one `UPDATE … FROM unnest(…)` for the samples and one batched provenance append ' +
    "(the chain's advisory lock once, the head read once, the entries hashed in memory, one multi-row INSERT) — seven statements " +
    'per batch where there were seven per sample. Per batch there remain about five reads around it (the endorsement, its ' +
    'pending samples, the kernel versions, the evidence totals with whether any sample is left, and the first critical sample ' +
    'only once one is counted) and two workflow tasks. History: the evidence is read from running totals (migration 011). ' +
    'What still grew with it (1.43× in the full run of 09:14, 1.62× in that of 12:29) was profiled on 2026-11-30, timing every ' +
    'statement of a batch and the CPU of each process, fresh vs with the million samples, in one sitting: on PostgreSQL the ' +
    "read of a batch's pending samples went from 2.3 to 35 ms per batch (every other statement within noise) and on PGlite the " +
    "database's CPU per batch from 22 to 56 ms (the bench's and Temporal's stayed put; the workflow history of a run is the " +
    'same 2,450 events either way). The cause was a plan, not the writes or the cache: the VACUUM ANALYZE after seeding (as ' +
    'autovacuum would, the queue being empty then) recorded no pending sample, so the planner priced a walk of any index of ' +
    "pending samples at one row and took migration 015's pending-by-exchange index: it read every pending sample of every " +
    'endorsement, joined each to its exchange and sorted them by seq to keep 25 (EXPLAIN ANALYZE on a copy with a 10,000-sample ' +
    'queue: 382 ms and 50,000 buffers for one read), and the scoring UPDATE hash-joined the same walk (22 ms). The fresh ' +
    'endorsement, with no statistics, got the ordered index. Migration 017 leaves one index whose predicate a read of pending ' +
    'samples implies, the queue (endorsement_id, seq) WHERE pending, read as an ordered range that stops at the batch (0.7 ms on ' +
    "the same copy); the UPDATE is bounded by the batch's seq range (1.2 ms); a batch asks whether any sample is left instead of " +
    'counting the queue; the blanking probe by exchange is written so that it implies no partial index; the scored samples left ' +
    "the hot index (the dashboard's series has an index of its own), and a sample's INSERT writes 3 index entries where it wrote " +
    '4. test/integration/endorsement/sample-indexes.test.ts asserts those plans on statistics taken with an empty queue, on ' +
    'PGlite and PostgreSQL. After it, in one sitting at load 20: per batch on PostgreSQL the pending read 6.5 ms fresh vs 4.7 ' +
    "with history, on PGlite the database's CPU 19 ms fresh vs 14 ms with history; a full run on PGlite at 14:37 (load 1.6) " +
    "scored 523/s fresh and 522/s after the million samples (1.00×). The bench's own poll counted the whole queue " +
    "ten times a second, on PGlite's single session about 50 ms of each batch's wall time; it now asks whether any is left. " +
    'Ten endorsements share one worker and one provenance chain, whose appends are serialised by design.',
  async run(ctx) {
    const single = ctx.size(10_000, 400);
    const perEndorsementOfTen = ctx.size(1_000, 100);
    const history = ctx.size(1_000_000, 50_000);
    const stack = await startLocalStack({ log: ctx.log });
    try {
      const w = stack.ctx;
      const operator = await benchOperator(w);
      const models = createModelGateway(w.config.models);
      const measure = async (endorsements: number, samplesEach: number, history = 0) => {
        const staged = [];
        for (let i = 0; i < endorsements; i++) staged.push(await stagedEndorsement(w, operator));
        if (history > 0) {
          const h0 = performance.now();
          for (const s of staged) await seedScoredHistory(w.pool, s.agentId, s.endorsementId, history);
          ctx.log(`${history} scored samples of history seeded in ${((performance.now() - h0) / 1000).toFixed(1)} s`);
        }
        const kernel = (await loadKernelVersion(w.pool, staged[0]!.agentId)).definition;
        const live = new Map<string, string>();
        for (const p of BENIGN) live.set(p, await models.reply(kernel, p));
        for (const s of staged) await queueSamples(w.pool, s.agentId, s.endorsementId, samplesEach, live);
        await w.pool.query(`UPDATE endorsements SET wake_requested = true WHERE id = ANY($1::text[])`, [
          staged.map((s) => s.endorsementId),
        ]);
        const ids = staged.map((s) => s.endorsementId);
        const t0 = performance.now();
        await Promise.all(ids.map((id) => w.temporal.workflow.getHandle(id).signal(shadowSamplesPendingSignal)));
        const progress: number[] = [];
        let last = 0;
        let lastAt = t0;
        const total = endorsements * samplesEach;
        for (;;) {
          // Whether any sample is left is asked every 100 ms (through the queue index, stopping at
          // the first); how many only once a second, for the progress samples. Counting the queue
          // at every poll loaded the database being measured: on PGlite's one session about 50 ms
          // of each batch's wall time at a 10,000-sample queue, more than any statement of the batch.
          const now = performance.now();
          if (now - lastAt >= 1000) {
            const { rows } = await w.pool.query<{ pending: number }>(
              `SELECT count(*)::int AS pending FROM shadow_samples WHERE endorsement_id = ANY($1::text[]) AND status = 'pending'`,
              [ids],
            );
            const done = total - rows[0]!.pending;
            progress.push(((done - last) / (now - lastAt)) * 1000);
            last = done;
            lastAt = now;
          }
          const { rows: left } = await w.pool.query<{ left: boolean }>(
            `SELECT EXISTS (SELECT 1 FROM shadow_samples WHERE endorsement_id = ANY($1::text[]) AND status = 'pending') AS left`,
            [ids],
          );
          if (!left[0]!.left) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const seconds = (performance.now() - t0) / 1000;
        const states = await w.pool.query<{ state: string; n: number }>(
          `SELECT state, count(*)::int AS n FROM endorsements WHERE id = ANY($1::text[]) GROUP BY state`,
          [ids],
        );
        const failed = await w.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM shadow_samples WHERE endorsement_id = ANY($1::text[]) AND status = 'failed'`,
          [ids],
        );
        let largest = 0;
        let runs = 0;
        for (const id of ids) {
          const h = await largestHistory(w.temporal, id);
          largest = Math.max(largest, h.largest);
          runs += h.runs;
        }
        const plans = history > 0 ? await batchPlans(w.pool, ids[0]!) : {};
        return {
          plans,
          rate: (endorsements * samplesEach) / seconds,
          seconds,
          largest,
          runs,
          progress,
          states: Object.fromEntries(states.rows.map((r) => [r.state, r.n])),
          failed: failed.rows[0]?.n ?? 0,
        };
      };
      ctx.log(`one endorsement, ${single} samples`);
      const one = await measure(1, single);
      ctx.log(`ten endorsements, ${perEndorsementOfTen} samples each`);
      const ten = await measure(10, perEndorsementOfTen);
      ctx.log(`one endorsement with ${history} scored samples of history, ${single} samples`);
      const old = await measure(1, single, history);
      return {
        parameters: {
          samplesForOne: single,
          samplesEachOfTen: perEndorsementOfTen,
          historyForOne: history,
          batchSize: 25,
          model: 'embedded',
        },
        figures: [
          {
            key: 'one_rate',
            label: 'one endorsement: scored samples/s',
            value: one.rate,
            unit: '/s',
            target: { op: '>=', value: 200 },
          },
          {
            key: 'old_rate',
            label: `one endorsement after ${history.toLocaleString('en-US')} scored samples: scored samples/s`,
            value: old.rate,
            unit: '/s',
            target: { op: '>=', value: 200 },
          },
          {
            key: 'old_cost_ratio',
            label: 'per-batch cost with that history ÷ without (1 = does not grow)',
            value: one.rate / old.rate,
            unit: '×',
            target: { op: '<=', value: 1.25 },
          },
          { key: 'ten_rate', label: 'ten endorsements: scored samples/s (all ten)', value: ten.rate, unit: '/s' },
          {
            key: 'ten_rate_each',
            label: 'ten endorsements: scored samples/s per endorsement',
            value: ten.rate / 10,
            unit: '/s',
          },
          {
            key: 'one_history',
            label: 'one endorsement: largest history of a run',
            value: one.largest,
            unit: 'events',
            target: { op: '<', value: HISTORY_LIMIT },
          },
          {
            key: 'ten_history',
            label: 'ten endorsements: largest history of a run',
            value: ten.largest,
            unit: 'events',
            target: { op: '<', value: HISTORY_LIMIT },
          },
        ],
        samples: {
          one_rate_per_second: one.progress,
          ten_rate_per_second: ten.progress,
          old_rate_per_second: old.progress,
        },
        notes: [
          `one: ${one.seconds.toFixed(1)} s, ${one.runs} run(s), ${one.failed} failed samples, states ${JSON.stringify(one.states)}`,
          `ten: ${ten.seconds.toFixed(1)} s, ${ten.runs} run(s) in all, ${ten.failed} failed samples, states ${JSON.stringify(ten.states)}`,
          `with history: ${old.seconds.toFixed(1)} s, ${old.runs} run(s), ${old.failed} failed samples, states ${JSON.stringify(old.states)}`,
          `a batch's reads on the endorsement with history: ${
            Object.entries(old.plans)
              // A sequential scan, or an index walked on status alone (across every endorsement's samples).
              .filter(([, plan]) => /Seq Scan on shadow_samples|Index Cond: \(status = /.test(plan))
              .map(([name]) => name)
              .join(', ') || 'none walks the history of shadow_samples'
          } (plans in the results file)`,
        ],
        details: { batchPlansWithHistory: old.plans },
      };
    } finally {
      await stack.stop();
    }
  },
};
