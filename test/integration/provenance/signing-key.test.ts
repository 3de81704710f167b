import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { checkedProvenanceKey } from '../../../client/provenance-key-check';
import { appendProvenance } from '../../../db/provenance/log';
import { claimSigningKey, ProvenanceKeyMismatchError } from '../../../db/provenance/signing-key';
import { keyFingerprint } from '../../../domain/non-workflow/provenance-entry-hash';
import { freePort } from '../../../toolchain/child-process';
import { workflowSourceDigest } from '../../../worker/workflow-bundle-cache';
import { cliEnv, runCli } from '../../support/cli';
import { useIntegrationContext } from '../../support/integration';

// A database of its own: the processes' start-up (identity migration, demo seed) must not touch
// what other files running in parallel on the shared database assert about.
const ctx = useIntegrationContext('signing-key', { ownDatabase: true });
const root = fileURLToPath(new URL('../../../', import.meta.url));
const runner = join(root, 'bin/run.js');
const otherKey = () => randomBytes(32).toString('hex');

/** A data directory whose bundle cache already holds this run's bundle: the worker skips webpack. */
async function dataDirWithBundle(): Promise<string> {
  const dataDir = await mkdtemp(join(inject('scratchDir'), 'signing-key-'));
  const cacheDir = join(dataDir, 'workflow-bundles');
  await mkdir(cacheDir, { recursive: true });
  const digest = await workflowSourceDigest(root, cacheDir);
  await copyFile(inject('workflowBundlePath'), join(cacheDir, `workflow-bundle-${digest.slice(0, 32)}.js`));
  return dataDir;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves when a line matches, rejects when the process exits first or after two minutes. */
  until(pattern: RegExp): Promise<void>;
  /** Drains and stops it as a deployment's SIGTERM does (a SIGKILL mid-transaction would stall embedded PGlite). */
  stop(): Promise<void>;
  exit: Promise<number | null>;
}

/** `worker/main.ts` as a deployment runs it: external Temporal and database, the key from the environment. */
async function startProcess(key: string, taskQueue: string): Promise<Started> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: ctx.config.temporal.address,
    TEMPORAL_NAMESPACE: ctx.config.temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: ctx.config.databaseUrl,
    WARDEN_PROVENANCE_KEY: key,
    WARDEN_DATA_DIR: await dataDirWithBundle(),
    WARDEN_HTTP_PORT: String(await freePort()),
    WARDEN_LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, [runner, 'worker/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of waiters.filter((w) => w.pattern.test(output))) w.resolve();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exit,
    until: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(output)) return resolve();
        waiters.push({ pattern, resolve });
        void exit.then((code) => reject(new Error(`exited with ${code} before ${pattern}:\n${output.slice(-2000)}`)));
        setTimeout(() => reject(new Error(`no ${pattern} within 2 minutes:\n${output.slice(-2000)}`)), 120_000).unref();
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exit;
    },
  };
}

describe('the provenance key fingerprint stored with the chain', () => {
  it(
    'refuses to start a second process with another key, and accepts one with the same key',
    { timeout: 300_000 },
    async () => {
      const taskQueue = `signing-key-${randomBytes(4).toString('hex')}`;
      const first = await startProcess(ctx.provenanceKey, taskQueue);
      const started: Started[] = [first];
      // A stall says where each process was, instead of a bare timeout.
      const stall = setTimeout(() => {
        for (const [n, s] of started.entries()) console.error(`--- process ${n + 1}:\n${s.output().slice(-3000)}`);
      }, 200_000);
      try {
        await first.until(/provenance key [0-9a-f]{16}… recorded with the chain/);
        await first.until(/worker polling task queue/);

        const second = await startProcess(otherKey(), taskQueue);
        started.push(second);
        expect(await second.exit).toBe(1);
        expect(second.output()).toMatch(
          /refusing to start: the provenance key of this process \(fingerprint [0-9a-f]{16}…\) is not the key the provenance chain is signed with/,
        );
        expect(second.output()).toContain(`fingerprint ${keyFingerprint(ctx.provenanceKey).slice(0, 16)}…`);
        expect(second.output()).toMatch(/WARDEN_PROVENANCE_KEY or WARDEN_PROVENANCE_KEY_FILE/);
        expect(second.output()).not.toMatch(/worker polling/);

        const third = await startProcess(ctx.provenanceKey, taskQueue);
        started.push(third);
        await third.until(/provenance key [0-9a-f]{16}… matches the chain/);
        await third.until(/worker polling task queue/);
      } finally {
        clearTimeout(stall);
        for (const s of started) await s.stop();
      }
      const { rows } = await ctx.pool.query<{ fingerprint: string }>('SELECT fingerprint FROM provenance_signing_keys');
      expect(rows).toEqual([{ fingerprint: keyFingerprint(ctx.provenanceKey) }]);
    },
  );

  it('records the key of a chain begun before fingerprints only when its newest entry verifies under it', async () => {
    // As an installation upgraded to this release finds it: entries, and no fingerprint yet.
    await ctx.pool.query('DELETE FROM provenance_signing_keys');
    await appendProvenance(ctx.pool, ctx.provenanceKey, {
      kind: 'test.before_fingerprints',
      subject: 'test:signing-key',
    });
    const wrong = otherKey();
    const refused = await claimSigningKey(ctx.pool, wrong).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProvenanceKeyMismatchError);
    expect((refused as Error).message).toMatch(/its newest entry, \d+, does not verify under this key/);
    expect((await ctx.pool.query('SELECT 1 FROM provenance_signing_keys')).rowCount).toBe(0);

    expect(await claimSigningKey(ctx.pool, ctx.provenanceKey)).toEqual({
      fingerprint: keyFingerprint(ctx.provenanceKey),
      registered: true,
    });
    expect(await checkedProvenanceKey(ctx.config, ctx.pool)).toEqual({
      key: ctx.provenanceKey,
      fingerprint: keyFingerprint(ctx.provenanceKey),
      registered: false,
    });
    await expect(claimSigningKey(ctx.pool, wrong)).rejects.toThrow(/recorded \d{4}-/);
  });

  it('the local CLI refuses to run with another key than the chain records, and runs with the chain key', async () => {
    await claimSigningKey(ctx.pool, ctx.provenanceKey);
    const count = async () => Number((await ctx.pool.query('SELECT count(*) AS n FROM provenance_log')).rows[0].n);
    const before = await count();
    const refused = await runCli(
      ['principal', 'add', 'cli-other-key', '--role', 'operator'],
      cliEnv(ctx, { WARDEN_PROVENANCE_KEY: otherKey() }),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refusing to run: the provenance key of this process .* is not the key/);
    expect(await count()).toBe(before);
    const allowed = await runCli(['provenance', 'verify', '--json'], cliEnv(ctx));
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.json).toMatchObject({ ok: true });
  });
});
