import type pg from 'pg';
import type { Client } from '@temporalio/client';
import { loadKernelVersion } from '../../db/endorsement/agents';
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
    'signal; the clock stops when no sample is pending. Throughput is scored samples per second of that interval, for one ' +
    'endorsement and for ten at once (aggregate). The largest history of any run of each workflow is read from visibility ' +
    '(`historyLength`) and describe; Temporal warns at 10,240 events.',
  limits:
    'A batch of up to 25 samples is scored in memory (sandbox answer, three embeddings, the judge when a sample falls in its ' +
    'band) and then written in one transaction: one `UPDATE … FROM unnest(…)` for the samples and one batched provenance append ' +
    "(the chain's advisory lock once, the head read once, the entries hashed in memory, one multi-row INSERT) — seven statements " +
    'per batch where there were seven per sample, which took one endorsement from about 108/s to the figure above. Per batch ' +
    'there remain about five reads around it (the endorsement, its pending samples, the kernel versions, the evidence totals, ' +
    'the first critical sample) and two workflow tasks (schedule the activity, take its result), so a batch costs a few ' +
    'milliseconds of round trips on top of the scoring itself; the benchmark process is about a third idle in a CPU profile ' +
    "(`BENCH_CPU_PROF=<dir>`), waiting on PGlite, whose one session takes every client's statements in turn. `evidenceOf` " +
    "re-aggregates all the endorsement's samples after each batch, which grows with the endorsement's age (quadratic over " +
    'its life; not profiled apart from the rest); running totals on the endorsement row would keep it constant. Ten ' +
    'endorsements share one worker and one provenance chain, whose appends are serialised by design.',
  async run(ctx) {
    const single = ctx.size(10_000, 400);
    const perEndorsementOfTen = ctx.size(1_000, 100);
    const stack = await startLocalStack({ log: ctx.log });
    try {
      const w = stack.ctx;
      const operator = await benchOperator(w);
      const models = createModelGateway(w.config.models);
      const measure = async (endorsements: number, samplesEach: number) => {
        const staged = [];
        for (let i = 0; i < endorsements; i++) staged.push(await stagedEndorsement(w, operator));
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
        for (;;) {
          const { rows } = await w.pool.query<{ pending: number; done: number }>(
            `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status <> 'pending')::int AS done
               FROM shadow_samples WHERE endorsement_id = ANY($1::text[])`,
            [ids],
          );
          const now = performance.now();
          const done = rows[0]!.done;
          if (now - lastAt >= 1000) {
            progress.push(((done - last) / (now - lastAt)) * 1000);
            last = done;
            lastAt = now;
          }
          if (rows[0]!.pending === 0) break;
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
        return {
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
      return {
        parameters: { samplesForOne: single, samplesEachOfTen: perEndorsementOfTen, batchSize: 25, model: 'embedded' },
        figures: [
          {
            key: 'one_rate',
            label: 'one endorsement: scored samples/s',
            value: one.rate,
            unit: '/s',
            target: { op: '>=', value: 200 },
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
        samples: { one_rate_per_second: one.progress, ten_rate_per_second: ten.progress },
        notes: [
          `one: ${one.seconds.toFixed(1)} s, ${one.runs} run(s), ${one.failed} failed samples, states ${JSON.stringify(one.states)}`,
          `ten: ${ten.seconds.toFixed(1)} s, ${ten.runs} run(s) in all, ${ten.failed} failed samples, states ${JSON.stringify(ten.states)}`,
        ],
      };
    } finally {
      await stack.stop();
    }
  },
};
