import { randomBytes } from 'node:crypto';
import type { WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { createActivities } from '../../../activities';
import type { ApplyInput, ApplyOutcome } from '../../../activities/delegation/apply-output';
import { addPrincipal } from '../../../db/principals';
import { buildAbpFromSpec } from '../../../client/delegation';
import { demoAbpSpec } from '../../../domain/abp/demo';
import type { AbpSpecInput } from '../../../domain/abp/schema';
import type { IntegrationContext } from '../../support/integration';
import { createWardenWorker } from '../../../worker/create-worker';
import { testAdmin } from '../../support/principals';

/**
 * Test files share one database, so every test builds its own ABP (a scope of its own gives it an
 * id of its own) and its own principals.
 */
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export function uniqueSpec(over: Partial<AbpSpecInput> = {}): AbpSpecInput {
  const spec = demoAbpSpec();
  return { ...spec, scope: { ...spec.scope, contract_id: unique('CTR') }, ...over };
}

export async function buildUniqueAbp(ctx: IntegrationContext, over: Partial<AbpSpecInput> = {}) {
  return (await buildAbpFromSpec(ctx, uniqueSpec(over), await testAdmin(ctx))).abp;
}

export async function principal(ctx: IntegrationContext, name: string, roles: string[]): Promise<string> {
  const n = unique(name);
  await addPrincipal(ctx.pool, n, roles);
  return n;
}

/** The demo's irreversible action that authority_envelope_complete blocks (the tool is denied). */
export const sendExternalEmail = (abpHash: string, n: number) => ({
  action_id: unique(`send-${n}`),
  agent_id: 'recruiter-bot',
  abp_hash: abpHash,
  objective: 'OBJ-004',
  tool: 'email.send_external',
  data: [{ resource: 'candidates/42', operation: 'read' as const }],
  role: 'agent',
  irreversible: true,
});

type ApplyActivity = (input: ApplyInput) => Promise<ApplyOutcome>;

/**
 * A worker of its own for one test, on its own task queue (with this run's workflow bundle unless
 * given another), whose applyReviewOutput activity runs `around` the real one: a test uses it to
 * change the world between a vote and its application. Returns a context that starts workflows
 * on that queue.
 */
export async function startWorkerAroundApply(
  base: IntegrationContext,
  around: (real: ApplyActivity, input: ApplyInput) => Promise<ApplyOutcome>,
  workflowBundle: WorkerOptions['workflowBundle'] = { codePath: inject('workflowBundlePath') },
): Promise<{ ctx: IntegrationContext; stop(): Promise<void> }> {
  const taskQueue = unique('around-apply');
  const deps = { pool: base.pool, config: base.config, provenanceKey: base.provenanceKey };
  const activities = createActivities(deps);
  const { worker, connection } = await createWardenWorker({
    ...deps,
    taskQueue,
    workflowBundle,
    overrides: { shutdownGraceTime: '1s', activities: { ...activities, applyReviewOutput: (input: ApplyInput) => around(activities.applyReviewOutput, input) } },
  });
  const running = worker.run();
  return {
    ctx: { ...base, taskQueue },
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
