import { resourceUsage } from 'node:process';
import { buildAbpFromSpec } from '../../client/delegation';
import { approveReview, openReview, reviewResult, type ReviewRow } from '../../client/delegation-reviews';
import { wakeDormantReview } from '../../client/review-vote-start';
import { addPrincipal } from '../../db/access/principals';
import { demoAbpSpec } from '../../demo/delegation-abp';
import type { Abp } from '../../domain/delegation/schema';
import type { Benchmark } from '../benchmark';
import { allowEmail } from '../fixtures';
import { closedLoop, sampleRss } from '../load';
import { withLocalStack } from '../stack/local-stack';
import { approvalSteps, childCpuMs, type ApprovalSteps } from '../approval-steps';
import { StatementTally } from '../statement-tally';
import { summarize } from '../stats';
import { untilReviewsSettled } from '../reviews-settled';
import { measureCpu } from '../thread-cpu';

const CONCURRENCY = 8;
const WARM_UP = 2 * CONCURRENCY;
const MiB = 1024 * 1024;

/** Item 5: a thousand open reviews, each approved and re-gated. */
export const reviewLifecycle: Benchmark = {
  name: 'review-lifecycle',
  item: 5,
  title: 'Review lifecycle',
  method:
    `One ABP per review (the demo spec with a contract id of its own, built with its four exports), then 1,266 reviews opened ` +
    `(\`openReview\` on DRT-002) at a concurrency of ${CONCURRENCY}: an opening stores the row and its provenance entry and ` +
    'starts no workflow (a dormant review; no webhook is subscribed, so no review.opened delivery either). The first 1,000 are ' +
    "then given their workflows as their first vote or a monitor pass near their deadline would start them (the vote path's " +
    'start without a vote, `wakeDormantReview`) and left until at rest (every first workflow task completed and none pending, ' +
    'each review described by the dev server, asked again a second later about those not yet at rest). With those 1,000 open, ' +
    `${WARM_UP} of the dormant ones are approved as a warm-up of the fresh worker (reported apart), then 250 others with the ` +
    `patch of the loop test (threshold 1), also at a concurrency of ${CONCURRENCY}: each approval is the first vote on a ` +
    "dormant review, so it starts the review's workflow with its Update (update-with-start); approval-to-regated latency runs " +
    "from the `approveReview` call to the workflow's result (the patched ABP stored, its exports re-stamped and re-gated). " +
    'Memory is the benchmark process, which runs the worker (and the client driving it; the database and Temporal are other ' +
    'processes): resident set sampled every 200 ms; the growth per open review with a workflow is the peak while the 1,000 ' +
    'were given their workflows and came to rest minus the resident set before, divided by 1,000; the growth per dormant ' +
    'review is the same over the openings, divided by the reviews opened. CPU per approval is `process.cpuUsage()` of the ' +
    'benchmark process and `/proc/<pid>/stat` of its children (the Temporal dev server and PGlite) over the measured ' +
    'approvals, divided by their number; the steps of an approval are read from the review histories of up to 50 of them ' +
    '(server-side event times, in the results file). `--quick`: 40 given workflows, 40 approved.',
  limits:
    "Opening. A review is opened dormant: its row and provenance entry in the openings' shared transaction " +
    "(ReviewOpenCommit on the project's GroupCommit, begun holding the provenance lock: one INSERT of the rows that also " +
    "reads the chain's head and whether any subscription wants review.opened, one INSERT of their entries, COMMIT), with " +
    'the reads before it batched too (ReviewOpenReads), and no workflow: the workflow start, its first task and the ' +
    'UPDATE marking it started were about 20 to 22 ms of CPU per opening on the two cores (client and worker 7.5, dev ' +
    'server 12 to 15; `bench/tools/workflow-start-cost.ts`), which capped openings near 90 /s whatever else was cut. What ' +
    'an opening costs now is the client and PGlite (`cpu_per_open`, `cpu_children_per_open`, `statements_per_open`); with ' +
    'a subscriber to review.opened it also starts one delivery workflow (`bench/tools/review-open-cost.ts` reads each ' +
    "process's CPU). Dormant reviews cost the worker nothing until they have a workflow (`rss_per_dormant_review`). " +
    'The first vote pays the start: approve and dismiss use update-with-start (USE_EXISTING, REJECT_DUPLICATE), so the ' +
    "approval's first workflow task opens the review and runs the Update, and `regated_*` include the start. " +
    'An approval is otherwise as before: one workflow task (patch `review-approval-in-one-lean-task`: the deciding vote ' +
    'recorded and applied by the local activity `recordVoteAndApply`, the conclusion announced inline), one statement ' +
    "(`readApproval`) reading the review, the approver, the output, the current ABP and its exports, the output's plan " +
    "reused by the apply when the same process planned it on the same reading, and two transactions (the vote's and the " +
    "apply's, each begun holding the provenance lock; one for both would save four round trips, but the vote must stand " +
    "when the apply's gates fail). At a concurrency of 8 on two shared cores each approval waits behind the others' CPU " +
    "(about 70 ms per approval in all four processes, so p50 is near 8 × 70 / 2 ms before the other tenants' load). " +
    "Memory per review with a workflow is the worker's: the SDK's workflow cache (WARDEN_MAX_CACHED_WORKFLOWS, default " +
    "250) and the runs' heap on its workflow thread; a review run evaluates 26 modules and no zod (`bench/tools/workflow-run-cost.ts`). " +
    'A dormant review is listed from PostgreSQL (dashboard, CLI, API, `warden_reviews_open`) and shows in the Temporal UI ' +
    'only once it has its workflow. Two full runs of the dormant path (2026-12-01, shared machine; load 6 to 7, then ' +
    '0.2 to 5): 340 and 531 openings/s at 0.49 and 0.61 ms of CPU in the benchmark process, 1.33 and 1.41 ms in PGlite ' +
    'and the dev server, 0.88 statements per opening; approval → re-gated p50 0.40 and 0.44 s, p99 1.48 and 0.70 s ' +
    "(the first run's tail all in the first 50 approvals after the warm-up, inside the one workflow task: started → " +
    "completed p99 1.29 s, queued p99 0.15 s; the quieter run's slowest per 25 were 0.49 to 0.75 s throughout); 0.306 " +
    'and 0.312 MiB per review with a workflow, 0.007 to 0.008 MiB per dormant one.',
  async run(ctx) {
    const count = ctx.size(1000, 40);
    const approvals = ctx.size(250, 40);
    // Dormant reviews approved first, apart: the fresh worker's first votes load modules and fill caches.
    const warm = WARM_UP;
    // Opened: `count` given their workflows (the memory figure's reviews, open at rest during the
    // approvals), then the warm-up's and the measured approvals' reviews, dormant until voted on.
    const opening = count + warm + approvals;
    const statements = new StatementTally();
    return withLocalStack({ log: ctx.log, poolSize: 16 }, async (stack) => {
      const w = stack.ctx;
      await addPrincipal(w.pool, 'bench-reviewer', ['Reviewer']);
      await addPrincipal(w.pool, 'bench-admin', ['admin']);
      const spec = demoAbpSpec();
      const abps: Abp[] = [];
      const built = await closedLoop(opening, CONCURRENCY, async (i) => {
        abps[i] = (
          await buildAbpFromSpec(w, { ...spec, scope: { ...spec.scope, contract_id: `CTR-bench-${i}` } }, 'bench-admin')
        ).abp;
      });
      ctx.log(`${opening} ABPs built in ${(built.wallMs / 1000).toFixed(1)} s`);
      const rssBefore = process.memoryUsage.rss();
      const rss = sampleRss();
      const rows: ReviewRow[] = [];
      statements.enter('open');
      const openCpu = measureCpu();
      const openChildrenBefore = childCpuMs();
      const opened = await closedLoop(opening, CONCURRENCY, async (i) => {
        rows[i] = await openReview(w, abps[i]!.abp_id, 'DRT-002', 'bench-reviewer');
      });
      const openCpuSpent = openCpu.stop();
      // The children's share (the database, the Temporal dev server) over the same phase.
      const openChildren = [...childCpuMs()].map(([name, used]) => ({
        name,
        msPerOpen: (used - (openChildrenBefore.get(name) ?? 0)) / opening,
      }));
      statements.enter('');
      const reviewIds = rows.map((r) => r.reviewId);
      const rssDormant = rss.stop();
      ctx.log(`${opening} reviews opened (dormant) in ${(opened.wallMs / 1000).toFixed(1)} s`);
      ctx.log(`CPU while opening (ms): ${JSON.stringify(openCpuSpent)}`);
      const open = await w.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM delegation_reviews WHERE state = 'open'`,
      );
      // The first `count` given their workflows, as their first vote or a monitor pass near their
      // deadline starts them, and left at rest: what an open review with a workflow costs the worker.
      const rssWake = process.memoryUsage.rss();
      const rssWoken = sampleRss();
      const woken = await closedLoop(count, CONCURRENCY, (i) => wakeDormantReview(w, rows[i]!));
      const settledMs = await untilReviewsSettled(w.temporal, reviewIds.slice(0, count));
      const wokenMemory = rssWoken.stop();
      ctx.log(
        `${count} reviews given their workflows in ${(woken.wallMs / 1000).toFixed(1)} s, at rest ${(settledMs / 1000).toFixed(1)} s later`,
      );
      const approve = async (i: number) => {
        const t0 = performance.now();
        await approveReview(w, reviewIds[i]!, {
          principal: 'bench-reviewer',
          outputKind: 'abp_patch',
          document: allowEmail(abps[i]!),
          reason: 'benchmark',
        });
        const votedMs = performance.now() - t0;
        const final = await reviewResult(w, reviewIds[i]!);
        if (final.state !== 'applied') throw new Error(`review ${reviewIds[i]} ended ${final.state}`);
        return votedMs;
      };
      // The fresh worker's first approvals (warm-up, reported apart), then the measured ones: each
      // the first vote on a dormant review, so its workflow starts with it (update-with-start).
      const warmUp = await closedLoop(warm, CONCURRENCY, (i) => approve(count + i));
      const atRest = count + warm;
      const voted: number[] = [];
      // The phase on the monotonic clock V8's CPU profiles use (BENCH_CPU_PROF): to read only its samples.
      const phaseStartUs = process.hrtime.bigint() / 1000n;
      statements.enter('approve');
      const cpuBefore = process.cpuUsage();
      const childrenBefore = childCpuMs();
      const approved = await closedLoop(approvals, CONCURRENCY, async (i) => {
        voted[i] = await approve(atRest + i);
      });
      statements.enter('');
      ctx.log(`approvals at rest: monotonic ${phaseStartUs}..${process.hrtime.bigint() / 1000n} µs`);
      const cpu = process.cpuUsage(cpuBefore);
      const children = [...childCpuMs()].map(([name, used]) => ({
        name,
        msPerApproval: (used - (childrenBefore.get(name) ?? 0)) / approvals,
      }));
      const latency = summarize(approved.latencies);
      // Where an approval's time went on the Temporal side: its review's history, step by step.
      const steps: ApprovalSteps[] = [];
      for (const id of reviewIds.slice(atRest, atRest + Math.min(approvals, 50))) {
        const timed = approvalSteps(await w.temporal.workflow.getHandle(id).fetchHistory());
        if (timed) steps.push(timed);
      }
      const stepKeys = Object.keys(steps[0] ?? {}) as (keyof ApprovalSteps)[];
      const stepSummary = Object.fromEntries(
        stepKeys.map((k) => {
          const s = summarize(steps.map((t) => t[k]));
          return [k, { p50: s.p50, p99: s.p99 }];
        }),
      );
      return {
        parameters: {
          reviews: count,
          approvals,
          warmUp: warm,
          opened: opening,
          concurrency: CONCURRENCY,
          threshold: 1,
        },
        figures: [
          { key: 'open_at_once', label: 'reviews open at once (at the peak)', value: open.rows[0]?.n ?? 0, unit: '' },
          {
            key: 'open_rate',
            label: 'reviews opened per second (dormant: row and provenance entry, no workflow)',
            value: (opening / opened.wallMs) * 1000,
            unit: '/s',
            target: { op: '>=', value: 200 },
          },
          {
            key: 'regated_p50',
            label: `approval → re-gated, workflow start included (first vote on a dormant review), p50 (${count} open at rest with workflows)`,
            value: latency.p50,
            unit: 'ms',
          },
          {
            key: 'regated_p99',
            label: `approval → re-gated, workflow start included (first vote on a dormant review), p99 (${count} open at rest with workflows)`,
            value: latency.p99,
            unit: 'ms',
            target: { op: '<=', value: 1000 },
          },
          {
            key: 'cold_max',
            label: `approval → re-gated, slowest of the fresh worker's first ${warm} (warm-up)`,
            value: Math.max(...warmUp.latencies),
            unit: 'ms',
          },
          {
            key: 'wake_rate',
            label: `reviews given their workflow per second (the first vote's start without the vote, ${count})`,
            value: (count / woken.wallMs) * 1000,
            unit: '/s',
          },
          {
            key: 'settle_ms',
            label: 'reviews given their workflows at rest (every first workflow task completed) after the last start',
            value: settledMs,
            unit: 'ms',
          },
          {
            key: 'voted_p50',
            label: 'approval Update answered (vote recorded; a deciding one also applied), p50 at rest',
            value: summarize(voted).p50,
            unit: 'ms',
          },
          {
            key: 'approve_rate',
            label: 'approvals applied per second',
            value: (approvals / approved.wallMs) * 1000,
            unit: '/s',
          },
          {
            key: 'statements_per_open',
            label: 'SQL statements per review opened (client and worker)',
            value: statements.total('open') / opening,
            unit: '',
          },
          {
            key: 'cpu_per_open',
            label: 'CPU per review opened: benchmark process (worker and client, all threads)',
            value: openCpuSpent.processMs / opening,
            unit: 'ms',
          },
          {
            key: 'cpu_main_per_open',
            label: 'CPU per review opened: its main thread (client and activities)',
            value: openCpuSpent.mainMs / opening,
            unit: 'ms',
          },
          {
            key: 'cpu_workflow_thread_per_open',
            label: 'CPU per review opened: its busiest other thread',
            value: openCpuSpent.busiestOtherMs / opening,
            unit: 'ms',
          },
          {
            key: 'cpu_children_per_open',
            label: 'CPU per review opened: database and Temporal processes (children)',
            value: openChildren.reduce((sum, c) => sum + c.msPerOpen, 0),
            unit: 'ms',
          },
          {
            key: 'statements_per_approval',
            label: 'SQL statements per approval, to re-gated (client and worker)',
            value: statements.total('approve') / approvals,
            unit: '',
          },
          {
            key: 'cpu_per_approval',
            label: 'CPU per approval, benchmark process (client and worker)',
            value: (cpu.user + cpu.system) / 1000 / approvals,
            unit: 'ms',
          },
          {
            key: 'cpu_children_per_approval',
            label: 'CPU per approval, database and Temporal processes (children)',
            value: children.reduce((sum, c) => sum + c.msPerApproval, 0),
            unit: 'ms',
          },
          {
            key: 'history_p50',
            label: 'approval in the review history (Update accepted → closed), p50',
            value: stepSummary.total?.p50 ?? NaN,
            unit: 'ms',
          },
          {
            key: 'rss_peak',
            label: 'worker process: peak resident set while giving reviews their workflows (sampled)',
            value: wokenMemory.peakBytes / MiB,
            unit: 'MiB',
          },
          {
            key: 'rss_growth',
            label: `worker process: peak minus resident set before, ${count} reviews given their workflows`,
            value: (wokenMemory.peakBytes - rssWake) / MiB,
            unit: 'MiB',
          },
          {
            key: 'rss_per_open_review',
            label: 'worker process: growth of the resident set per open review with a workflow',
            value: (wokenMemory.peakBytes - rssWake) / MiB / count,
            unit: 'MiB',
            target: { op: '<=', value: 0.5 },
          },
          {
            key: 'rss_per_dormant_review',
            label: 'worker process: growth of the resident set per review opened dormant (client side only)',
            value: (rssDormant.peakBytes - rssBefore) / MiB / opening,
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
          warm_up_approve_to_regated_ms: warmUp.latencies,
          approve_update_ms: voted,
          open_ms: opened.latencies,
          wake_ms: woken.latencies,
          rss_bytes: [...rssDormant.samples, ...wokenMemory.samples],
        },
        details: {
          statements: { open: statements.top('open'), approve: statements.top('approve', 24) },
          approval_steps_ms: { reviews: steps.length, ...stepSummary },
          cpu_children_per_approval_ms: children,
          cpu_children_per_open_ms: openChildren,
        },
        notes: [`${opening} ABPs built in ${(built.wallMs / 1000).toFixed(1)} s before the reviews were opened`],
      };
    });
  },
};
