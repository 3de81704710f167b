import { createServer, type Server } from 'node:http';
import type { Worker } from '@temporalio/worker';
import { checkHealth } from '../client/health';
import type { WardenContext } from '../client/context';

/**
 * The health endpoint of a worker-only process (`warden worker`), which has no HTTP API to ask:
 * GET /healthz answers 200 while the worker runs and reaches Temporal and the database, 503
 * otherwise (and while it drains), so an orchestrator can restart or hold traffic from it.
 */
export function createWorkerHealthServer(
  ctx: Pick<WardenContext, 'config' | 'pool' | 'temporal' | 'taskQueue'>,
  worker: Worker,
): Server {
  return createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body, null, 2));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/healthz') {
      reply(404, { error: 'only GET /healthz is served here' });
      return;
    }
    checkHealth(ctx, { checkApi: false })
      .then((health) => {
        const state = worker.getState();
        const ok = state === 'RUNNING' && health.temporal.ok && health.database.ok;
        reply(ok ? 200 : 503, {
          ok,
          role: 'worker',
          pid: process.pid,
          workerState: state,
          temporal: health.temporal,
          database: health.database,
          worker: health.worker,
        });
      })
      .catch((error: unknown) =>
        reply(503, { ok: false, role: 'worker', detail: error instanceof Error ? error.message : String(error) }),
      );
  });
}
