import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { commandExists, runProcess } from './run-process';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;
/** The oldest embedded server whose start-dev flags Warden relies on (v1.5.1 embeds 1.29). */
const MIN_SERVER = [1, 29] as const;

export class ToolchainError extends Error {
  override name = 'ToolchainError';
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)" or "0.0.0-DEV (Server …)" from go install. */
export function compatibleVersion(versionOutput: string): boolean {
  const server = /Server (\d+)\.(\d+)/.exec(versionOutput);
  if (!server) return false;
  const major = Number(server[1]);
  const minor = Number(server[2]);
  return major > MIN_SERVER[0] || (major === MIN_SERVER[0] && minor >= MIN_SERVER[1]);
}

async function versionOf(binary: string): Promise<string | undefined> {
  try {
    const r = await runProcess(binary, ['--version']);
    return r.code === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Temporal CLI to run the dev server with: a compatible `temporal` on PATH as is, else the
 * cached build, else a fresh `go install` of the pinned version into the cache (a few minutes on
 * two cores, once per machine).
 */
export async function ensureTemporalCli(cacheDir: string, onProgress: (line: string) => void = () => undefined): Promise<string> {
  const onPath = await versionOf('temporal');
  if (onPath && compatibleVersion(onPath)) return 'temporal';

  const dir = join(cacheDir, `temporal-${TEMPORAL_CLI_VERSION}`);
  const binary = join(dir, 'temporal');
  if ((await isExecutable(binary)) && (await versionOf(binary))) return binary;

  if (!(await commandExists('go'))) {
    throw new ToolchainError(
      'The Temporal CLI is not cached and `go` is not installed to build it. Install Go 1.23 or newer ' +
        '(Debian: `apt-get install golang-go`), or put a Temporal CLI ≥ 1.5.1 on PATH, then run again.',
    );
  }
  await mkdir(cacheDir, { recursive: true });
  // Build into a scratch dir and rename, so an interrupted build never leaves a broken binary.
  const scratch = await mkdtemp(join(cacheDir, '.temporal-build-'));
  onProgress(`building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (first run only; a few minutes)…`);
  const started = Date.now();
  const ticker = setInterval(() => onProgress(`  still building the Temporal CLI… ${Math.round((Date.now() - started) / 1000)} s`), 15_000);
  try {
    const r = await runProcess('go', ['install', MODULE], {
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: scratch, GOFLAGS: '-mod=mod' },
      onLine: (line) => onProgress(`  ${line}`),
    });
    if (r.code !== 0) throw new ToolchainError(`go install ${MODULE} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
    await mkdir(dir, { recursive: true });
    await rename(join(scratch, 'temporal'), binary);
  } finally {
    clearInterval(ticker);
    await rm(scratch, { recursive: true, force: true });
  }
  onProgress(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s → ${binary}`);
  return binary;
}
