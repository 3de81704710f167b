import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { ProgressCallback } from '../domain/progress';
import { CompiledPackages, isModuleDownload, moduleDirOf, packagesOf } from './go-build-output';
import { commandExists, runProcess } from './run-process';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE_PATH = 'github.com/temporalio/cli';
const PACKAGE_DIR = 'cmd/temporal';
const MODULE = `${MODULE_PATH}/${PACKAGE_DIR}@${TEMPORAL_CLI_VERSION}`;
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

const COMPILING = 'compiling packages';
const DOWNLOADING = 'downloading modules';

/**
 * The packages the build will compile, listed from the module's own directory (which the listing
 * fetches first, with every module it needs). Undefined when any step fails: progress is then
 * shown as elapsed time, and the build itself decides whether it works.
 */
async function listBuildPackages(env: NodeJS.ProcessEnv, onStep: ProgressCallback): Promise<string[] | undefined> {
  try {
    onStep(0, undefined, DOWNLOADING);
    const download = await runProcess('go', ['mod', 'download', '-json', `${MODULE_PATH}@${TEMPORAL_CLI_VERSION}`], { env });
    const dir = download.code === 0 ? moduleDirOf(download.stdout) : undefined;
    if (!dir) return undefined;
    let downloaded = 0;
    const listed = await runProcess('go', ['list', '-deps', `./${PACKAGE_DIR}`], {
      env,
      cwd: dir,
      onLine: (line) => {
        if (isModuleDownload(line)) onStep(++downloaded, undefined, DOWNLOADING);
      },
    });
    const packages = listed.code === 0 ? packagesOf(listed.stdout) : [];
    return packages.length > 0 ? packages : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `go install` of the pinned version into `gobin`. With a package list, `-v` names each package as
 * it is compiled and `onStep` counts them; without one, a line every 15 s says it is still going.
 */
async function goInstall(
  gobin: string,
  onProgress: (line: string) => void,
  onStep: ProgressCallback | undefined,
): Promise<void> {
  const env = { ...process.env, CGO_ENABLED: '0', GOBIN: gobin, GOFLAGS: '-mod=mod' };
  const packages = onStep ? await listBuildPackages(env, onStep) : undefined;
  const started = Date.now();
  const ticker = packages
    ? undefined
    : setInterval(() => onProgress(`  still building the Temporal CLI… ${Math.round((Date.now() - started) / 1000)} s`), 15_000);
  const compiled = new CompiledPackages(packages ?? []);
  if (packages) onStep?.(0, compiled.total, COMPILING);
  try {
    const r = await runProcess('go', ['install', ...(packages ? ['-v'] : []), MODULE], {
      env,
      onLine: (line) => {
        if (packages && compiled.record(line)) onStep?.(compiled.done, compiled.total, COMPILING);
        else if (!(packages && isModuleDownload(line))) onProgress(`  ${line}`);
      },
    });
    if (r.code !== 0) throw new ToolchainError(`go install ${MODULE} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
    // Packages already in the build cache are not compiled again, so the count can end short.
    if (packages) onStep?.(compiled.total, compiled.total, COMPILING);
  } finally {
    clearInterval(ticker);
  }
}

/**
 * The Temporal CLI to run the dev server with: a compatible `temporal` on PATH as is, else the
 * cached build, else a fresh `go install` of the pinned version into the cache (a few minutes on
 * two cores, once per machine). `onProgress` gets messages as lines; `onStep`, when given, the
 * build's phases and counts for a progress bar (else elapsed time as lines).
 */
export async function ensureTemporalCli(
  cacheDir: string,
  onProgress: (line: string) => void = () => undefined,
  onStep?: ProgressCallback,
): Promise<string> {
  const onPath = await versionOf('temporal');
  if (onPath && compatibleVersion(onPath)) return 'temporal';

  const dir = join(cacheDir, `temporal-${TEMPORAL_CLI_VERSION}`);
  const binary = join(dir, 'temporal');
  if ((await isExecutable(binary)) && (await versionOf(binary))) return binary;

  if (!(await commandExists('go', ['version']))) {
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
  try {
    await goInstall(scratch, onProgress, onStep);
    await mkdir(dir, { recursive: true });
    await rename(join(scratch, 'temporal'), binary);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  onProgress(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s → ${binary}`);
  return binary;
}
