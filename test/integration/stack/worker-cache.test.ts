import { describe, expect, inject, it } from 'vitest';
import { createWardenWorker } from '../../../worker/create-worker';
import { useIntegrationContext } from '../../support/integration';

const ctx = useIntegrationContext('worker-cache');

describe('the worker sticky cache', () => {
  it('is bounded by WARDEN_MAX_CACHED_WORKFLOWS, not by the heap limit', async () => {
    const config = { ...ctx.config, maxCachedWorkflows: 7 };
    // The run's shared bundle: building one of its own would cost this test a webpack build.
    const { worker, connection } = await createWardenWorker({
      pool: ctx.pool,
      config,
      provenanceKey: ctx.provenanceKey,
      taskQueue: `${ctx.taskQueue}-cache`,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const running = worker.run();
    try {
      expect(worker.options.maxCachedWorkflows).toBe(7);
      expect(ctx.config.maxCachedWorkflows).toBe(250);
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
    }
  });
});
