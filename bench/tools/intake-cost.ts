// What one drift write (a batch of one row over HTTP) costs, process by process:
//   node bin/run.js bench/tools/intake-cost.ts [requests] [--postgres] [--profile-dir <dir>]
// (default 2,000 requests, 8 in flight, on PGlite; --postgres: a throwaway Debian cluster). Runs
// the intake benchmark's drift load (bench/benchmarks/intake.ts) on a stack of its own and reports
// CPU per event of the API (this process), the worker, the database, the Temporal dev server and
// the load generator (/proc), the API's statements per request, the evaluation signals and passes.
// Then it times evaluation passes alone (no writes) to split the worker's and Temporal's share into
// passes and the rest. --profile-dir writes V8 CPU profiles of this process (over the load) and of
// the worker (from its start until it stops: bench/stack/worker-main.ts). CPU per operation, not wall-clock rates, is what a shared machine leaves comparable.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createApiServer } from '../../api/server';
import { buildAbpFromSpec, evaluationResult } from '../../client/delegation';
import { abpEvaluationWorkflowId } from '../../client/evaluation-requests';
import { createApiToken } from '../../db/access/api-tokens';
import { addPrincipal } from '../../db/access/principals';
import { demoAbpSpec } from '../../demo/delegation-abp';
import { httpLoadInChild } from '../http-load';
import { childProcessIds, cpuMsOfEach } from '../process-cpu';
import { startEmbeddedDatabase, startRealDatabase } from '../stack/database';
import { withLocalStack } from '../stack/local-stack';
import { StatementTally } from '../statement-tally';
import { countEvaluationSignals } from '../evaluation-signals';

const requests = Number(process.argv[2] ?? 2000);
const onPostgres = process.argv.includes('--postgres');
const profileDir = process.argv.includes('--profile-dir')
  ? process.argv[process.argv.indexOf('--profile-dir') + 1]
  : undefined;
const PASSES_ALONE = 20;
const SPACING_MS = 500;
if (profileDir) process.env.BENCH_CPU_PROFILE_DIR = profileDir;

const database = onPostgres ? await startRealDatabase() : await startEmbeddedDatabase();
if (!database) throw new Error('no PostgreSQL: set DATABASE_URL or install Debian postgresql');
const tally = new StatementTally();
await withLocalStack(
  { database, poolSize: 16, workerInChildProcess: true, log: (l) => console.error(l) },
  async (stack) => {
    const w = stack.ctx;
    const spec = demoAbpSpec();
    await addPrincipal(w.pool, 'cost-admin', ['admin']);
    const abp = (
      await buildAbpFromSpec(w, { ...spec, scope: { ...spec.scope, contract_id: 'CTR-intake-cost' } }, 'cost-admin')
    ).abp;
    await addPrincipal(w.pool, 'cost-intake', ['operator']);
    const { token } = await createApiToken(w.pool, { principal: 'cost-intake', label: 'cost' });
    const evaluationSignals = countEvaluationSignals(w);
    const server = createApiServer(w);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/evidence`;
    const headers = { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` };
    const row = (id: string) =>
      JSON.stringify({
        kind: 'drift_signal',
        signal_id: `sig-${id}`,
        abp_id: abp.abp_id,
        type: 'freshness',
        severity: 'green',
        fingerprint: { key: `fp-${id}`, version: 1 },
        observed_at: new Date(Date.now() - 60_000).toISOString(),
      });
    // Awaits one evaluated write: the worker's sandbox set-up is not counted.
    const evaluated = async (id: string) => {
      const res = await fetch(url, { method: 'POST', headers, body: row(id) });
      const request = ((await res.json()) as { evaluationRequests: Record<string, string> }).evaluationRequests[
        abp.abp_id
      ]!;
      for (const t0 = performance.now(); !(await evaluationResult(w, abp.abp_id, request));) {
        if (performance.now() - t0 > 60_000) throw new Error('a write was not evaluated within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await evaluated('warm');
    const processes = {
      api: [process.pid],
      worker: childProcessIds(/worker-main/),
      temporal: childProcessIds(/temporal/),
      database: await database.processIds(),
    };
    const profiler = profileDir ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    tally.enter('load');
    const { result: r, cpuMs } = await cpuMsOfEach(processes, () =>
      httpLoadInChild({
        url,
        headers,
        body: row('load-{n}'),
        numbered: '{n}',
        expect: '"stored":\\s*1\\b',
        warmup: 20,
        requests,
        concurrency: 8,
      }),
    );
    tally.enter('');
    if (profiler)
      writeFileSync(
        join(profileDir!, 'api.cpuprofile'),
        JSON.stringify((await profiler.post('Profiler.stop')).profile),
      );
    const events = requests + 20;
    const per = (ms: number | null, n = events) => (ms === null ? null : Number((ms / n).toFixed(3)));
    const passesDuring = evaluationSignals();
    // Evaluation passes alone: one write each, awaited, so that each is a pass of its own.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const alone = await cpuMsOfEach(processes, async () => {
      for (let i = 0; i < PASSES_ALONE; i++) {
        const res = await fetch(url, { method: 'POST', headers, body: row(`alone-${i}`) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        // Not polled (a query costs the worker and Temporal too): the pass ends well within this.
        await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
      }
    });
    // What the evaluation workflow's history holds per pass (this run: continue-as-new every 200 passes).
    const history = await w.temporal.workflow.getHandle(abpEvaluationWorkflowId(abp.abp_id)).fetchHistory();
    const eventTypes = new Map<string, number>();
    for (const e of history.events ?? []) {
      const type = String(e.eventType ?? '?');
      eventTypes.set(type, (eventTypes.get(type) ?? 0) + 1);
    }
    const idle = await cpuMsOfEach(
      processes,
      () => new Promise((resolve) => setTimeout(resolve, PASSES_ALONE * SPACING_MS)),
    );
    console.log(
      JSON.stringify(
        {
          database: database.label,
          requests,
          wallS: r.wallMs / 1000,
          eventsPerS: Math.round((requests / r.wallMs) * 1000),
          cpuMsPerEvent: {
            api: per(cpuMs.api),
            worker: per(cpuMs.worker),
            database: per(cpuMs.database),
            temporal: per(cpuMs.temporal),
            loadGenerator: per(r.cpuMs, requests),
          },
          statementsPerRequest: tally.total('load') / events,
          evaluationSignals: passesDuring,
          // Per pass alone (and its one write), less the idle spend of the same span.
          cpuMsPerPassAlone: Object.fromEntries(
            Object.entries(alone.cpuMs).map(([k, v]) => [
              k,
              per((v as number) - ((idle.cpuMs as Record<string, number | null>)[k] ?? 0), PASSES_ALONE),
            ]),
          ),
          top: tally.top('load', 6),
          evaluationHistory: { events: history.events?.length ?? 0, byType: Object.fromEntries(eventTypes) },
        },
        null,
        1,
      ),
    );
    await new Promise((resolve) => server.close(resolve));
  },
);
await database.stop();
