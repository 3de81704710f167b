import { randomBytes } from 'node:crypto';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { WardenContext } from '../../client/context';
import { createWardenWorker } from '../../worker/create-worker';
import { startLocalStack } from '../../bench/stack/local-stack';

export type WardenActivities = ReturnType<typeof createActivities>;

export interface RecordingStack {
  /** A Warden context whose workflows run on the stack's worker (the current workflow code). */
  ctx: WardenContext;
  /** The production workflow bundle the worker runs. */
  workflowBundle: { code: string };
  /**
   * A second worker on a task queue of its own, whose context starts workflows there: with the
   * real activities changed by `activities` (a case uses it to change the world between two
   * steps), and/or another workflow bundle (the code of an earlier release).
   */
  workerWith(opts: {
    activities?: (real: WardenActivities) => Partial<WardenActivities>;
    workflowBundle?: WorkerOptions['workflowBundle'];
  }): Promise<{ ctx: WardenContext; stop(): Promise<void> }>;
  close(): Promise<void>;
}

/**
 * What the replay recorder drives cases against: the benchmarks' local stack (a real Temporal dev
 * server from the cached CLI, a database of its own, a real Warden worker on the production
 * workflow bundle), so a recorded history is exactly what the current code writes.
 */
export async function startRecordingStack(): Promise<RecordingStack> {
  // Cases provoke refusals on purpose; the SDK would log each failed activity as a warning.
  const local = await startLocalStack({ logLevel: 'ERROR', log: (line) => console.log(`[stack] ${line}`) });
  const { ctx, env, workflowBundle } = local;
  const extra: { worker: Worker; running: Promise<void> }[] = [];
  return {
    ctx,
    workflowBundle,
    async workerWith(opts) {
      const taskQueue = `replay-record-${randomBytes(4).toString('hex')}`;
      const deps = { pool: ctx.pool, config: ctx.config, provenanceKey: ctx.provenanceKey };
      const real = createActivities(deps);
      const { worker } = await createWardenWorker({
        ...deps,
        taskQueue,
        connection: env.nativeConnection,
        workflowBundle: opts.workflowBundle ?? workflowBundle,
        overrides: { shutdownGraceTime: '1s', activities: { ...real, ...opts.activities?.(real) } },
      });
      const entry = { worker, running: worker.run() };
      extra.push(entry);
      return {
        ctx: { ...ctx, taskQueue },
        async stop() {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await entry.running;
        },
      };
    },
    async close() {
      for (const { worker, running } of extra) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      }
      await local.stop();
    },
  };
}
