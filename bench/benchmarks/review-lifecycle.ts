import { resourceUsage } from 'node:process';
import { buildAbpFromSpec } from '../../client/delegation';
import { approveReview, openReview, reviewResult } from '../../client/delegation-reviews';
import { addPrincipal } from '../../db/access/principals';
import { demoAbpSpec } from '../../demo/delegation-abp';
import type { Abp } from '../../domain/delegation/schema';
import type { Benchmark } from '../benchmark';
import { allowEmail } from '../fixtures';
import { closedLoop, sampleRss } from '../load';
import { withLocalStack } from '../stack/local-stack';
import { summarize } from '../stats';

const CONCURRENCY = 8;
const WARM_UP = 2 * CONCURRENCY;
const MiB = 1024 * 1024;

/** Item 5: a thousand open reviews, each approved and re-gated. */
export const reviewLifecycle: Benchmark = {
  name: 'review-lifecycle',
  item: 5,
  title: 'Review lifecycle',
  method:
    `One ABP per review (the demo spec with a contract id of its own, built with its four exports), then every review opened ` +
    `(\`openReview\` on DRT-002: a row, a provenance entry and a review workflow) at a concurrency of ${CONCURRENCY} until all are open ` +
    'at once. Then, with all of them open, the first 250 are approved with the patch of the loop test (threshold 1), also at a concurrency of ' +
    `${CONCURRENCY}; approval-to-regated latency runs from the \`approveReview\` call to the workflow's result (the patched ABP ` +
    'stored, its exports re-stamped and re-gated); the first 16 approvals of the fresh worker are a warm-up, reported apart. Memory is the benchmark process, which runs the worker (and the client driving ' +
    'it; the database and Temporal are other processes): resident set sampled every 200 ms, and `resourceUsage().maxRSS`.',
  limits:
    'Opening: `openReview` is one transaction of a few statements (principal, current ABP, the active review FOR UPDATE, ' +
    "the opened trigger's card in two, the insert, the provenance append), and pglite-socket serves only the connection whose " +
    'transaction is open until it commits, so concurrent opens on the embedded database run one after the other. Approving: about 40 % of the latency is the ' +
    'approval Update (validator, a workflow task, the `recordReviewVote` activity, a workflow task); the rest is the apply ' +
    'activity — the rebuilt ABP stored under compare-and-set, four export files written, re-gated and promoted, one ' +
    "transaction with three provenance appends — and the closing workflow task, each a round trip to the dev server's SQLite. " +
    'The first approvals of a fresh worker are slower (module loading, caches; reported apart). Memory: the worker keeps open ' +
    "workflows in its sticky cache, about 2 MiB per open review; the SDK's default size follows the V8 heap limit (about " +
    '2,300 workflows on this machine), which let a thousand idle reviews stay resident (2.5 GiB). Warden now bounds it with ' +
    'WARDEN_MAX_CACHED_WORKFLOWS (default 250, worker/create-worker.ts); an evicted review replays its short history when its ' +
    'next vote arrives. The peak also includes the client driving the benchmark',
  async run(ctx) {
    const count = ctx.size(1000, 40);
    const approvals = ctx.size(250, 40);
    return withLocalStack({ log: ctx.log, poolSize: 16 }, async (stack) => {
      const w = stack.ctx;
      await addPrincipal(w.pool, 'bench-reviewer', ['Reviewer']);
      await addPrincipal(w.pool, 'bench-admin', ['admin']);
      const rssBefore = process.memoryUsage.rss();
      const rss = sampleRss();
      const spec = demoAbpSpec();
      const abps: Abp[] = [];
      const built = await closedLoop(count, CONCURRENCY, async (i) => {
        abps[i] = (
          await buildAbpFromSpec(w, { ...spec, scope: { ...spec.scope, contract_id: `CTR-bench-${i}` } }, 'bench-admin')
        ).abp;
      });
      ctx.log(`${count} ABPs built in ${(built.wallMs / 1000).toFixed(1)} s`);
      const reviewIds: string[] = [];
      const opened = await closedLoop(count, CONCURRENCY, async (i) => {
        reviewIds[i] = (await openReview(w, abps[i]!.abp_id, 'DRT-002', 'bench-reviewer')).reviewId;
      });
      ctx.log(`${count} reviews opened in ${(opened.wallMs / 1000).toFixed(1)} s`);
      const open = await w.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM delegation_reviews WHERE state = 'open'`,
      );
      const voted: number[] = [];
      const approved = await closedLoop(approvals, CONCURRENCY, async (i) => {
        const t0 = performance.now();
        await approveReview(w, reviewIds[i]!, {
          principal: 'bench-reviewer',
          outputKind: 'abp_patch',
          document: allowEmail(abps[i]!),
          reason: 'benchmark',
        });
        voted[i] = performance.now() - t0;
        const final = await reviewResult(w, reviewIds[i]!);
        if (final.state !== 'applied') throw new Error(`review ${reviewIds[i]} ended ${final.state}`);
      });
      const memory = rss.stop();
      // The first approvals of a fresh worker load modules and fill caches: reported apart.
      const warm = Math.min(WARM_UP, Math.floor(approvals / 4));
      const latency = summarize(approved.latencies.slice(warm));
      return {
        parameters: { reviews: count, approvals, concurrency: CONCURRENCY, threshold: 1 },
        figures: [
          { key: 'open_at_once', label: 'reviews open at once', value: open.rows[0]?.n ?? 0, unit: '' },
          { key: 'open_rate', label: 'reviews opened per second', value: (count / opened.wallMs) * 1000, unit: '/s' },
          { key: 'regated_p50', label: 'approval → re-gated, p50', value: latency.p50, unit: 'ms' },
          { key: 'regated_p99', label: 'approval → re-gated, p99', value: latency.p99, unit: 'ms' },
          {
            key: 'cold_max',
            label: `approval → re-gated, slowest of the first ${warm} (warm-up)`,
            value: Math.max(...approved.latencies.slice(0, warm)),
            unit: 'ms',
          },
          {
            key: 'voted_p50',
            label: 'approval Update answered (vote recorded), p50',
            value: summarize(voted.slice(warm)).p50,
            unit: 'ms',
          },
          {
            key: 'approve_rate',
            label: 'approvals applied per second',
            value: (approvals / approved.wallMs) * 1000,
            unit: '/s',
          },
          {
            key: 'rss_peak',
            label: 'worker process: peak resident set (sampled)',
            value: memory.peakBytes / MiB,
            unit: 'MiB',
          },
          {
            key: 'rss_growth',
            label: 'worker process: peak minus resident set before',
            value: (memory.peakBytes - rssBefore) / MiB,
            unit: 'MiB',
          },
          {
            key: 'max_rss',
            label: 'worker process: maxRSS (resourceUsage)',
            value: resourceUsage().maxRSS / 1024,
            unit: 'MiB',
          },
        ],
        samples: {
          approve_to_regated_ms: approved.latencies,
          approve_update_ms: voted,
          open_ms: opened.latencies,
          rss_bytes: memory.samples,
        },
        notes: [`${count} ABPs built in ${(built.wallMs / 1000).toFixed(1)} s before the reviews were opened`],
      };
    });
  },
};
