import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, portOpen } from '../../../toolchain/child-process';
import { useIntegrationContext } from '../../support/integration';
import { registerTestNamespace } from '../../support/namespace';

/**
 * Issue 13, item 1: `warden worker` runs the worker without the HTTP API (and a /healthz of its
 * own), `warden api` the HTTP API without a worker; SIGTERM drains each and it exits 0. Both run
 * in a namespace and database of their own, so the demo they seed touches no other test.
 */
const ctx = useIntegrationContext('process-roles', { ownDatabase: true });
const bin = fileURLToPath(new URL('../../../bin/warden.js', import.meta.url));

interface RoleProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function startRole(role: 'worker' | 'api', env: NodeJS.ProcessEnv): RoleProcess {
  const child = spawn(process.execPath, [bin, role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  return { child, output: () => text, exited: new Promise((resolve) => child.on('exit', resolve)) };
}

async function healthOf(url: string, proc: RoleProcess, limitMs = 240_000): Promise<any> {
  const until = Date.now() + limitMs;
  for (;;) {
    if (proc.child.exitCode !== null)
      throw new Error(`exited ${proc.child.exitCode} before it was healthy:\n${proc.output().slice(-3000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (res.status === 200) return res.json();
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`not healthy within ${limitMs / 1000} s:\n${proc.output().slice(-3000)}`);
    await sleep(500);
  }
}

const started: RoleProcess[] = [];
afterAll(() => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('process roles', () => {
  it('runs a worker without an HTTP API and an API without a worker, each draining on SIGTERM', async () => {
    const namespace = await registerTestNamespace(ctx.temporal, 'roles');
    const [workerHealthPort, workerHttpPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: ctx.config.temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: ctx.taskQueue,
      DATABASE_URL: ctx.config.databaseUrl,
      WARDEN_PROVENANCE_KEY: ctx.provenanceKey,
      WARDEN_DATA_DIR: ctx.config.dataDir,
    };
    const worker = startRole('worker', {
      ...env,
      WARDEN_WORKER_HEALTH_PORT: String(workerHealthPort),
      WARDEN_HTTP_PORT: String(workerHttpPort),
    });
    started.push(worker);
    const workerHealth = await healthOf(`http://127.0.0.1:${workerHealthPort}/healthz`, worker);
    expect(workerHealth).toMatchObject({
      ok: true,
      role: 'worker',
      workerState: 'RUNNING',
      database: { ok: true },
      temporal: { ok: true },
    });
    // No HTTP API in a worker process.
    expect(await portOpen(workerHttpPort)).toBe(false);

    const api = startRole('api', { ...env, WARDEN_HTTP_PORT: String(apiPort) });
    started.push(api);
    const apiHealth = await healthOf(`http://127.0.0.1:${apiPort}/healthz`, api);
    // The API process reports the worker of the other process, polling the same task queue.
    expect(apiHealth).toMatchObject({ ok: true, worker: { ok: true, taskQueue: ctx.taskQueue } });
    expect(api.output()).not.toMatch(/worker polling task queue/);
    expect(worker.output()).not.toMatch(/HTTP API listening/);

    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    expect(api.output()).toMatch(/SIGTERM: shutting down, answering the requests in flight[\s\S]*stopped/);
    expect(worker.output()).toMatch(/SIGTERM: shutting down, draining the worker[\s\S]*stopped/);
    expect(await portOpen(workerHealthPort)).toBe(false);
  });
});
