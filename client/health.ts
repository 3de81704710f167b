import protos from '@temporalio/proto';

const { TaskQueueKind, TaskQueueType } = protos.temporal.api.enums.v1;
import { schemaVersion } from '../db/migrate';
import { wardenSearchAttributes } from '../domain/search-attributes';
import type { WardenContext } from './context';
import { databaseFingerprint } from './database-fingerprint';

type HealthContext = Pick<WardenContext, 'config' | 'pool' | 'temporal' | 'taskQueue'>;

export interface ComponentHealth {
  ok: boolean;
  detail: string;
}

export interface Health {
  ok: boolean;
  temporal: ComponentHealth & { address: string; namespace: string; searchAttributes: string[] };
  /** `fingerprint` names the database without saying where it is (see databaseFingerprint). */
  database: ComponentHealth & { schemaVersion: number | null; fingerprint: string };
  worker: ComponentHealth & { taskQueue: string; pollers: number };
  api?: ComponentHealth & { url: string };
}

const TIMEOUT_MS = 5000;
/** A worker that has not polled for this long is considered gone. */
const POLLER_FRESH_MS = 90_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const message = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0]! : String(e));

async function temporalHealth(ctx: HealthContext): Promise<Health['temporal']> {
  const base = { address: ctx.config.temporal.address, namespace: ctx.config.temporal.namespace };
  try {
    await withTimeout(ctx.temporal.connection.ensureConnected(), 'Temporal');
    const info = await withTimeout(ctx.temporal.workflowService.getSystemInfo({}), 'Temporal');
    const attrs = await withTimeout(
      ctx.temporal.connection.operatorService.listSearchAttributes({ namespace: ctx.config.temporal.namespace }),
      'Temporal',
    );
    const present = Object.keys(attrs.customAttributes ?? {});
    const missing = wardenSearchAttributes.map((k) => k.name).filter((n) => !present.includes(n));
    return {
      ...base,
      ok: missing.length === 0,
      detail:
        missing.length === 0 ? `server ${info.serverVersion}` : `search attributes missing: ${missing.join(', ')}`,
      searchAttributes: wardenSearchAttributes.map((k) => k.name).filter((n) => present.includes(n)),
    };
  } catch (e) {
    return { ...base, ok: false, detail: message(e), searchAttributes: [] };
  }
}

async function databaseHealth(ctx: HealthContext): Promise<Health['database']> {
  const fingerprint = databaseFingerprint(ctx.config.databaseUrl);
  try {
    const version = await withTimeout(schemaVersion(ctx.pool), 'PostgreSQL');
    return {
      ok: version !== null,
      detail: version === null ? 'no migrations applied' : 'connected',
      schemaVersion: version,
      fingerprint,
    };
  } catch (e) {
    return { ok: false, detail: message(e), schemaVersion: null, fingerprint };
  }
}

async function workerHealth(ctx: HealthContext): Promise<Health['worker']> {
  const taskQueue = ctx.taskQueue;
  try {
    const res = await withTimeout(
      ctx.temporal.workflowService.describeTaskQueue({
        namespace: ctx.config.temporal.namespace,
        taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      }),
      'Temporal',
    );
    const now = Date.now();
    const fresh = (res.pollers ?? []).filter((p) => {
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      return now - seconds * 1000 < POLLER_FRESH_MS;
    });
    return {
      ok: fresh.length > 0,
      detail: fresh.length > 0 ? `${fresh.length} worker(s) polling` : 'no worker is polling the task queue',
      taskQueue,
      pollers: fresh.length,
    };
  } catch (e) {
    return { ok: false, detail: message(e), taskQueue, pollers: 0 };
  }
}

async function apiHealth(url: string): Promise<NonNullable<Health['api']>> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    // Any HTTP answer means the API process is up; what it says of the others is checked here too.
    return { ok: true, detail: `HTTP ${res.status}`, url };
  } catch (e) {
    return { ok: false, detail: message(e), url };
  }
}

/** Health of every part Warden needs; `ok` only when all of them answer. */
export async function checkHealth(ctx: HealthContext, opts: { checkApi: boolean }): Promise<Health> {
  const [temporal, database, api] = await Promise.all([
    temporalHealth(ctx),
    databaseHealth(ctx),
    opts.checkApi ? apiHealth(ctx.config.http.url) : Promise.resolve(undefined),
  ]);
  const worker =
    temporal.ok || temporal.detail.startsWith('search')
      ? await workerHealth(ctx)
      : { ok: false, detail: 'Temporal is down', taskQueue: ctx.taskQueue, pollers: 0 };
  const health: Health = {
    ok: temporal.ok && database.ok && worker.ok && (api?.ok ?? true),
    temporal,
    database,
    worker,
  };
  if (api) health.api = api;
  return health;
}
