import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { temporalConnectionOptions } from '../config/temporal-connection';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WardenWorkerOptions extends ActivityDeps {
  taskQueue: string;
  connection?: NativeConnection;
  /** A pre-built bundle (tests build one per run instead of one per worker). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (tests shorten shutdown, for example). */
  overrides?: Partial<WorkerOptions>;
}

export async function createWardenWorker(
  opts: WardenWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection =
    opts.connection ?? (await NativeConnection.connect(temporalConnectionOptions(opts.config.temporal)));
  const worker = await Worker.create({
    connection,
    namespace: opts.config.temporal.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities({ pool: opts.pool, config: opts.config, provenanceKey: opts.provenanceKey }),
    shutdownGraceTime: '10s',
    // The SDK's default follows the heap limit (thousands here); idle reviews would all stay resident.
    maxCachedWorkflows: opts.config.maxCachedWorkflows,
    ...opts.overrides,
  });
  return { worker, connection };
}
