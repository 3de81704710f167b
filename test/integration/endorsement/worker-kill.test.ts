import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chat, endorseRule, showEndorsement } from '../../../client/endorsement';
import { listProvenance } from '../../../db/provenance/log';
import { freePort } from '../../../toolchain/child-process';
import { useIntegrationContext } from '../../support/integration';
import { BENIGN, eventually, freshAgent, kernelVersionCount, operator, SEED_RULE } from './helpers';

const ctx = useIntegrationContext('endorsement-kill');
const runner = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

/** The real worker process (`worker/main.ts`) on a task queue of its own; resolves once it polls. */
async function startWorkerProcess(taskQueue: string): Promise<ChildProcess> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: ctx.config.temporal.address,
    TEMPORAL_NAMESPACE: ctx.config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: ctx.config.databaseUrl,
    WARDEN_PROVENANCE_KEY: ctx.provenanceKey,
    WARDEN_DATA_DIR: ctx.config.dataDir,
    WARDEN_HTTP_PORT: String(await freePort()),
    WARDEN_LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, [runner, 'worker/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      output += c.toString();
      if (output.includes('worker polling task queue')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output.slice(-2000)}`)));
  });
}

describe('worker process killed mid-cooldown', () => {
  it('promotes exactly once after SIGKILL and a restart', { timeout: 300_000 }, async () => {
    const taskQueue = `kill-${randomBytes(4).toString('hex')}`;
    const onQueue = { ...ctx, taskQueue };
    const agent = await freshAgent(ctx, { cooldownBaseSeconds: 4, cooldownMaxSeconds: 120, minSamples: 1 });
    const alice = await operator(ctx);
    let worker = await startWorkerProcess(taskQueue);
    try {
      const r = await endorseRule(onQueue, agent, SEED_RULE, { decide: { decision: 'stage', principal: alice } });
      await chat(onQueue, agent, BENIGN[0]!, { waitForShadow: true });
      worker.kill('SIGKILL');
      const staged = await showEndorsement(ctx, r.endorsementId);
      await sleep(Math.max(0, Date.parse(staged.deadlineAt!) - Date.now()) + 500);
      expect((await showEndorsement(ctx, r.endorsementId)).state).toBe('staged');

      worker = await startWorkerProcess(taskQueue);
      const done = await eventually(
        () => showEndorsement(ctx, r.endorsementId),
        (e) => e.state !== 'staged',
        150_000,
      );
      expect(done.state).toBe('promoted');
      expect(await kernelVersionCount(ctx, agent)).toBe(2);
      expect(
        await listProvenance(ctx.pool, { subject: `endorsement:${r.endorsementId}`, kind: 'endorsement.promoted' }),
      ).toHaveLength(1);
    } finally {
      worker.kill('SIGKILL');
    }
  });
});
