import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openContext } from '../../client/context';
import { buildAbpFromSpec } from '../../client/delegation';
import { approveReview, openReview, reviewResult } from '../../client/delegation-reviews';
import { loadConfig } from '../../config/env';
import { addPrincipal } from '../../db/access/principals';
import { demoAbpSpec } from '../../demo/delegation-abp';
import type { Abp } from '../../domain/delegation/schema';
import { startFleet } from '../../start/fleet';
import { freePortRange } from '../../toolchain/child-process';
import type { Benchmark } from '../benchmark';
import { allowEmail } from '../fixtures';
import { closedLoop } from '../load';

const CONCURRENCY = 12;

/**
 * Issue 13: reviews applied per second by 1 worker process and by 3, on the real Temporal cluster
 * of `npm run cluster`. Opt-in (`npm run bench -- fleet`): it needs the cluster build.
 */
export const fleet: Benchmark = {
  name: 'fleet',
  item: 9,
  optIn: true,
  title: 'Fleet: reviews applied per second, 1 vs 3 workers (real Temporal cluster)',
  method:
    'Opt-in: `npm run bench -- fleet` (the first run builds the Temporal server with go install, see `npm run cluster`). ' +
    'The fleet of `npm run cluster` on throwaway ports: Temporal server 1.29.1 on PostgreSQL (fsync off; SQL visibility), ' +
    'one API process, and first 1 worker process, then 3. For each, a batch of ABPs is built and one review opened on each ' +
    `(not timed), then every review approved (threshold 1, the loop test's patch) at a concurrency of ${CONCURRENCY} from ` +
    "the benchmark process (each the first vote on a dormant review, so it also starts the review's workflow), each " +
    'counted when its workflow has applied the patch, re-stamped the exports and re-gated; ' +
    'the figure is reviews applied per second of wall time. Both batches run on the same cluster, one after the other.',
  limits:
    'Measured on a 2-core machine shared with other work: the Temporal server (all four services), PostgreSQL, the worker ' +
    'processes and the driving process all compete for the same two cores, so 3 workers cannot be 3 times 1 worker here; ' +
    'the figure shows what adding worker processes gives when the CPU, not the worker, is the bottleneck. On a cluster ' +
    'with a core per worker and Temporal and PostgreSQL on their own machines, the workers scale until the history ' +
    'service or the database saturate.',
  async run(ctx) {
    const count = ctx.size(150, 20);
    const dataDir = await mkdtemp(join(tmpdir(), 'warden-bench-fleet-'));
    await chmod(dataDir, 0o755);
    const config = loadConfig();
    const taken = new Set<number>();
    const base = await freePortRange(6, taken);
    const running = await startFleet({
      workers: 1,
      apis: 1,
      dataDir,
      cacheDir: config.cacheDir,
      ...(config.externalDatabaseUrl ? { databaseUrl: config.externalDatabaseUrl } : {}),
      databasePrefix: `bench_fleet_${process.pid}`,
      namespace: 'default',
      temporalPort: base,
      uiPort: base + 1,
      apiPort: base + 2,
      workerHealthPort: base + 3,
      pgPort: await freePortRange(1, taken),
      durable: false,
      env: { WARDEN_LOG_LEVEL: 'warn' },
      log: ctx.log,
    });
    const w = await openContext({ config: loadConfig(running.wardenEnv), createProvenanceKey: false });
    try {
      await addPrincipal(w.pool, 'bench-reviewer', ['Reviewer']);
      await addPrincipal(w.pool, 'bench-admin', ['admin']);
      const spec = demoAbpSpec();
      const batch = async (label: string) => {
        const abps: Abp[] = [];
        const reviewIds: string[] = [];
        await closedLoop(count, 4, async (i) => {
          abps[i] = (
            await buildAbpFromSpec(
              w,
              { ...spec, scope: { ...spec.scope, contract_id: `CTR-fleet-${label}-${i}` } },
              'bench-admin',
            )
          ).abp;
          reviewIds[i] = (await openReview(w, abps[i]!.abp_id, 'DRT-002', 'bench-reviewer')).reviewId;
        });
        const approved = await closedLoop(count, CONCURRENCY, async (i) => {
          await approveReview(w, reviewIds[i]!, {
            principal: 'bench-reviewer',
            outputKind: 'abp_patch',
            document: allowEmail(abps[i]!),
            reason: 'benchmark',
          });
          const final = await reviewResult(w, reviewIds[i]!);
          if (final.state !== 'applied') throw new Error(`review ${reviewIds[i]} ended ${final.state}`);
        });
        ctx.log(`${label}: ${count} reviews applied in ${(approved.wallMs / 1000).toFixed(1)} s`);
        return { rate: (count / approved.wallMs) * 1000, latencies: approved.latencies };
      };
      const one = await batch('1-worker');
      await running.scaleWorkers(3);
      const three = await batch('3-workers');
      return {
        parameters: {
          reviews: count,
          concurrency: CONCURRENCY,
          apiProcesses: 1,
          temporalServer: '1.29.1 (PostgreSQL, SQL visibility)',
          cores: 2,
        },
        figures: [
          { key: 'applied_rate_1', label: 'reviews applied per second, 1 worker process', value: one.rate, unit: '/s' },
          {
            key: 'applied_rate_3',
            label: 'reviews applied per second, 3 worker processes',
            value: three.rate,
            unit: '/s',
          },
          { key: 'speedup', label: '3 workers ÷ 1 worker (2-core machine)', value: three.rate / one.rate, unit: '×' },
        ],
        samples: { approve_to_applied_ms_1: one.latencies, approve_to_applied_ms_3: three.latencies },
        notes: [
          '2 cores shared by the Temporal server, PostgreSQL, every worker and the benchmark itself: not a scaling figure for a real cluster',
        ],
      };
    } finally {
      await w.close();
      await running.stop({ dropDatabases: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
