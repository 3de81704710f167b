import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort } from './child-process';
import { withLock } from './file-lock';
import { commandExists, runProcess } from './run-process';

/** The LiteLLM proxy the gateway tests drive (1.110.2's proxy extra pins a package PyPI does not serve). */
export const LITELLM_REQUIREMENT = 'litellm[proxy]==1.104.0';
/** Every package of the proxy pinned with its SHA-256 (see the file's header for how it is made). */
const LOCK = fileURLToPath(new URL('./litellm-proxy.lock.txt', import.meta.url));

/** The venv is named by the lock's content: a changed lock installs into a fresh venv. */
function venvName(): string {
  const digest = createHash('sha256').update(readFileSync(LOCK)).digest('hex').slice(0, 12);
  return `litellm-1.104.0-${digest}`;
}

/**
 * The real LiteLLM proxy for tests only (Warden itself never runs it): installed once with ordinary
 * pip from PyPI into a venv under the toolchain cache, like the Temporal wheels, from a lock of
 * hashes (`--require-hashes`: a file on the index that changed fails the install). Resolves to the
 * `litellm` executable, or undefined when python3 (with venv and pip) is missing.
 */
export async function ensureLiteLlmProxy(
  cacheDir: string,
  onProgress: (line: string) => void,
): Promise<string | undefined> {
  const name = venvName();
  const venv = join(cacheDir, name);
  const bin = join(venv, 'bin', 'litellm');
  const done = join(venv, '.installed');
  if (existsSync(done) && existsSync(bin)) return bin;
  if (!(await commandExists('python3'))) return undefined;
  await mkdir(cacheDir, { recursive: true });
  return withLock(join(cacheDir, `${name}.lock`), async () => {
    if (existsSync(done) && existsSync(bin)) return bin;
    onProgress(`installing ${LITELLM_REQUIREMENT} with pip into ${venv} (first run only, for the gateway tests)…`);
    await rm(venv, { recursive: true, force: true });
    const made = await runProcess('python3', ['-m', 'venv', venv]);
    if (made.code !== 0) {
      onProgress(`no LiteLLM proxy: python3 -m venv failed (${made.stderr.trim().split('\n').at(-1) ?? made.code})`);
      return undefined;
    }
    const pip = await runProcess(join(venv, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--progress-bar',
      'off',
      '--require-hashes',
      '--only-binary',
      ':all:',
      '-r',
      LOCK,
    ]);
    if (pip.code !== 0 || !existsSync(bin)) {
      throw new Error(
        `pip install --require-hashes -r ${LOCK} (${LITELLM_REQUIREMENT}) failed (exit ${pip.code}): ${pip.stderr.trim().split('\n').slice(-3).join(' ')}`,
      );
    }
    await writeFile(done, `${LITELLM_REQUIREMENT}\n`);
    return bin;
  });
}

export interface LiteLlmProxy {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  /** The proxy's own key (1.104.0 refuses to start without one): what an agent's client sends to LiteLLM. */
  masterKey: string;
  /** The last few KiB of the proxy's output, for failure messages. */
  log(): string;
  stop(): void;
}

/**
 * Starts the proxy with `config` (written as config.yaml) on a free port of 127.0.0.1 and waits
 * until it answers its liveness probe: for the gateway tests and the gateway benchmark.
 */
export async function startLiteLlmProxy(bin: string, config: object, startTimeoutMs = 170_000): Promise<LiteLlmProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-litellm-'));
  await writeFile(join(dir, 'config.yaml'), stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const masterKey = `sk-${randomBytes(32).toString('hex')}`;
  // Warden's DATABASE_URL (a run on a real PostgreSQL) would make LiteLLM want its own Prisma database.
  const { DATABASE_URL: _warden, ...env } = process.env;
  const proxy: ChildProcess = spawn(
    bin,
    ['--config', join(dir, 'config.yaml'), '--host', '127.0.0.1', '--port', String(port)],
    {
      // The model cost map from the bundled copy: fetching it makes start-up depend on the network (a
      // failed fetch's warning crashed 1.104.0's start-up in its logging filter).
      env: {
        ...env,
        LITELLM_MASTER_KEY: masterKey,
        LITELLM_TELEMETRY: 'False',
        LITELLM_LOCAL_MODEL_COST_MAP: 'True',
        NO_DOCS: 'True',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const keep = (c: Buffer) => (log = (log + c.toString()).slice(-4000));
  proxy.stdout!.on('data', keep);
  proxy.stderr!.on('data', keep);
  const stop = () => {
    proxy.kill('SIGTERM');
    void rm(dir, { recursive: true, force: true });
  };
  const until = Date.now() + startTimeoutMs;
  for (;;) {
    const up = await fetch(`${url}/health/liveliness`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (proxy.exitCode !== null || Date.now() > until) {
      stop();
      throw new Error(`LiteLLM proxy did not start:\n${log}`);
    }
    await sleep(500);
  }
  return { url, masterKey, log: () => log, stop };
}
