import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { ProgressCallback } from '../domain/progress';
import { CompiledPackages, isModuleDownload, moduleDirOf, packagesOf } from './go-build-output';
import { commandExists, runProcess } from './run-process';
import { ToolchainError } from './toolchain-error';

/**
 * The fallback way to the Temporal CLI where no prebuilt wheel fits (another platform, no python3
 * with pip): `go install` of the pinned module version into the cache, a few minutes on two cores.
 */
const MODULE_PATH = 'github.com/temporalio/cli';
const PACKAGE_DIR = 'cmd/temporal';

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What `<binary> --version` prints, or undefined when it does not run. */
export async function versionOf(binary: string): Promise<string | undefined> {
  try {
    const r = await runProcess(binary, ['--version']);
    return r.code === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

function goBuildPath(cacheDir: string, version: string): string {
  return join(cacheDir, `temporal-${version}`, 'temporal');
}

/** The binary an earlier `go install` of `version` left in the cache, if it still runs. */
export async function cachedGoBuild(cacheDir: string, version: string): Promise<string | undefined> {
  const binary = goBuildPath(cacheDir, version);
  return (await isExecutable(binary)) && (await versionOf(binary)) ? binary : undefined;
}

const COMPILING = 'compiling packages';
const DOWNLOADING = 'downloading modules';

/**
 * The packages the build will compile, listed from the module's own directory (which the listing
 * fetches first, with every module it needs). Undefined when any step fails: progress is then
 * shown as elapsed time, and the build itself decides whether it works.
 */
async function listBuildPackages(
  version: string,
  env: NodeJS.ProcessEnv,
  onStep: ProgressCallback,
): Promise<string[] | undefined> {
  try {
    onStep(0, undefined, DOWNLOADING);
    const download = await runProcess('go', ['mod', 'download', '-json', `${MODULE_PATH}@${version}`], { env });
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
  version: string,
  gobin: string,
  onProgress: (line: string) => void,
  onStep: ProgressCallback | undefined,
): Promise<void> {
  const module = `${MODULE_PATH}/${PACKAGE_DIR}@${version}`;
  const env = { ...process.env, CGO_ENABLED: '0', GOBIN: gobin, GOFLAGS: '-mod=mod' };
  const packages = onStep ? await listBuildPackages(version, env, onStep) : undefined;
  const started = Date.now();
  const ticker = packages
    ? undefined
    : setInterval(
        () => onProgress(`  still building the Temporal CLI… ${Math.round((Date.now() - started) / 1000)} s`),
        15_000,
      );
  const compiled = new CompiledPackages(packages ?? []);
  if (packages) onStep?.(0, compiled.total, COMPILING);
  try {
    const r = await runProcess('go', ['install', ...(packages ? ['-v'] : []), module], {
      env,
      onLine: (line) => {
        if (packages && compiled.record(line)) onStep?.(compiled.done, compiled.total, COMPILING);
        else if (!(packages && isModuleDownload(line))) onProgress(`  ${line}`);
      },
    });
    if (r.code !== 0)
      throw new ToolchainError(`go install ${module} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
    // Packages already in the build cache are not compiled again, so the count can end short.
    if (packages) onStep?.(compiled.total, compiled.total, COMPILING);
  } finally {
    clearInterval(ticker);
  }
}

/** Builds `version` with go into the cache and returns the binary; `missing` is the message when go is absent. */
export async function buildTemporalCliWithGo(
  cacheDir: string,
  version: string,
  missing: string,
  onProgress: (line: string) => void,
  onStep: ProgressCallback | undefined,
): Promise<string> {
  if (!(await commandExists('go', ['version']))) throw new ToolchainError(missing);
  const binary = goBuildPath(cacheDir, version);
  await mkdir(cacheDir, { recursive: true });
  // Build into a scratch dir and rename, so an interrupted build never leaves a broken binary.
  const scratch = await mkdtemp(join(cacheDir, '.temporal-build-'));
  onProgress(`building the Temporal CLI ${version} with go install (first run only; a few minutes)…`);
  const started = Date.now();
  try {
    await goInstall(version, scratch, onProgress, onStep);
    await mkdir(join(binary, '..'), { recursive: true });
    await rename(join(scratch, 'temporal'), binary);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  onProgress(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s → ${binary}`);
  return binary;
}
