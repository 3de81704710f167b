import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFingerprint } from '../../../client/database-fingerprint';
import { runProcess } from '../../../toolchain/run-process';

/**
 * A CLI call loads what its command needs and no more (cli/main.ts): each case runs the real
 * `warden` (compiled, as a user runs it) with a hook that logs every module it resolves.
 */
const bin = fileURLToPath(new URL('../../../bin/warden.js', import.meta.url));
const recorder = fileURLToPath(new URL('../../support/record-loaded-modules.mjs', import.meta.url));
const DATABASE_URL = 'postgres://nobody@127.0.0.1:1/nowhere';
const TASK_QUEUE = 'lazy-commands';

/** Never on the path of --help, status or action check. */
const HEAVY = [
  /node_modules\/@temporalio\/worker\//,
  /node_modules\/webpack\//,
  /node_modules\/openai\//,
  /\/dashboard\//,
  /\/worker\//,
  /\/api\//,
];
/** Loaded only by commands that talk to Temporal or PostgreSQL themselves. */
const DRIVERS = [/node_modules\/@temporalio\//, /node_modules\/pg\//, /node_modules\/zod\//];

let dir: string;
let api: Server;
let apiUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-lazy-'));
  // A stand-in HTTP API whose /healthz reports a healthy stack configured as the CLI below is.
  api = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        ok: true,
        temporal: {
          ok: true,
          detail: 'server 1.32.0',
          address: '127.0.0.1:1',
          namespace: 'default',
          searchAttributes: [],
        },
        database: { ok: true, detail: 'connected', schemaVersion: 6, fingerprint: databaseFingerprint(DATABASE_URL) },
        worker: { ok: true, detail: '1 worker(s) polling', taskQueue: TASK_QUEUE, pollers: 1 },
      }),
    );
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => api.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

async function loadedBy(args: string[]): Promise<{ code: number | null; stdout: string; modules: string[] }> {
  const log = join(dir, `${args[0]}.log`);
  await writeFile(log, '');
  const env = {
    ...process.env,
    MODULE_LOG: log,
    DATABASE_URL,
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    WARDEN_API_URL: apiUrl,
    WARDEN_DATA_DIR: dir,
    WARDEN_PROVENANCE_KEY: 'ab'.repeat(32),
  };
  const r = await runProcess(process.execPath, ['--import', recorder, bin, ...args], { env });
  return { code: r.code, stdout: r.stdout, modules: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
}

const matching = (modules: string[], patterns: RegExp[]) => modules.filter((m) => patterns.some((p) => p.test(m)));

// Each case starts a Node process (and may compile dist/ first): a loaded machine needs more than the default 5 s.
describe('what a CLI call loads', { timeout: 60_000 }, () => {
  it('--help loads commander and the command files, no client, database, Temporal or model code', async () => {
    const { code, stdout, modules } = await loadedBy(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: warden');
    expect(modules.some((m) => m.includes('/node_modules/commander/'))).toBe(true);
    expect(matching(modules, [...HEAVY, ...DRIVERS, /\/dist\/(client|db|activities)\//])).toEqual([]);
  });

  it("status takes the running API's report for the same stack without loading the Temporal SDK or pg", async () => {
    const { code, stdout, modules } = await loadedBy(['status', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: true,
      api: { ok: true, url: apiUrl },
      worker: { taskQueue: TASK_QUEUE },
    });
    expect(matching(modules, [...HEAVY, /node_modules\/@temporalio\//, /node_modules\/pg\//])).toEqual([]);
  });

  it('action check loads the validators, not the worker, webpack, openai or the dashboard', async () => {
    await writeFile(join(dir, 'action.json'), '{}');
    const { code, modules } = await loadedBy(['action', 'check', 'ABP-00000000', '--action', join(dir, 'action.json')]);
    expect(code).not.toBe(0);
    expect(modules.some((m) => m.includes('/dist/client/action-check.js'))).toBe(true);
    expect(matching(modules, HEAVY)).toEqual([]);
  });
});
