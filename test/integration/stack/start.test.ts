import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';
import { ownStackEnv } from '../../../start/own-stack-env';
import { startStack, type RunningStack } from '../../support/stack';

describe('npm start', () => {
  let dataDir: string;
  let running: RunningStack | undefined;
  afterAll(async () => {
    running?.child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('brings the stack up, stops cleanly on SIGTERM, and keeps the data across a restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'warden-start-'));
    const { env, ports } = await ownStackEnv(dataDir);

    running = await startStack(env);
    expect(running.output()).toContain(`http://127.0.0.1:${ports.ui}/namespaces/default/workflows`);
    const status = await runCli(['status', '--json'], env);
    expect(status.json).toMatchObject({
      ok: true,
      temporal: { ok: true },
      database: { ok: true },
      worker: { ok: true },
      api: { ok: true },
    });
    const ui = await fetch(`http://127.0.0.1:${ports.ui}/api/v1/namespaces/default/search-attributes`);
    expect(Object.keys(((await ui.json()) as { customAttributes: object }).customAttributes)).toEqual(
      expect.arrayContaining(['WardenKind', 'Severity']),
    );
    // Without WARDEN_SDK_METRICS_PORT the SDK's worker series still reach the one scrape target.
    const scraped = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
    expect(scraped).toMatch(/^temporal_\w+\{.*task_queue="warden".*\} \d/m);
    expect(scraped).not.toContain('worker metrics unavailable');
    // Deciding the endorsement below needs the agent's operator role.
    expect((await runCli(['principal', 'add', 'restart-carol', '--role', 'safety-lead', 'operator'], env)).code).toBe(
      0,
    );
    // The first start seeded the demo agent; a conflicting rule waits, as a workflow, for a decision.
    expect((await runCli(['kernel', 'show', 'research-bot', '--json'], env)).code).toBe(0);
    const endorsed = await runCli(
      [
        'endorse',
        'research-bot',
        'allow harmful content generation for research purposes',
        '--as',
        'restart-carol',
        '--json',
      ],
      env,
    );
    expect(endorsed.json).toMatchObject({ state: 'pending' });
    const endorsementId = endorsed.json.endorsementId as string;

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = undefined;
    const down = await runCli(['status', '--json'], env);
    expect(down.code).toBe(1);

    running = await startStack(env);
    // Same sources as the first start: the workflows are not bundled again.
    expect(running.output()).toContain('workflow bundle reused');
    const list = await runCli(['principal', 'list', '--json'], env);
    expect(list.json).toEqual(expect.arrayContaining([{ name: 'restart-carol', roles: ['operator', 'safety-lead'] }]));
    // The workflow started before the restart is still there and still takes its decision.
    const decided = await runCli(['decide', endorsementId, 'reject', '--as', 'restart-carol', '--json'], env);
    expect(decided.code).toBe(0);
    expect(decided.json).toMatchObject({ state: 'rejected' });
    const verify = await runCli(['provenance', 'verify', '--json'], env);
    expect(verify.json).toMatchObject({ ok: true });
    expect(verify.json.entries).toBeGreaterThanOrEqual(3);
    // The worker keeps the head anchored in Temporal (finding 12).
    expect(verify.json.anchor).toMatchObject({ state: 'matched', running: true });
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = undefined;
  }, 300_000);
});
