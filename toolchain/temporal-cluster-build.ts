import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { withLock } from './file-lock';
import { isExecutable } from './temporal-cli-go-build';
import { commandExists, runProcess } from './run-process';
import { ToolchainError } from './toolchain-error';

/**
 * The real Temporal cluster `npm run cluster` runs, built from the Go module proxy into the cache
 * (never into the repository) on first use: the server and its SQL schema tool, the PostgreSQL
 * schema files that ship in the same module, and the standalone Web UI server (its UI assets are
 * embedded in the binary). Later runs reuse the cache and download nothing.
 */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_UI_SERVER_VERSION = '2.42.1';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface TemporalClusterBinaries {
  /** `temporal-server`: frontend, history, matching and worker services in one process. */
  server: string;
  /** `temporal-sql-tool`: creates the databases and applies the versioned schemas. */
  sqlTool: string;
  /** schema/postgresql/v12 of the server module: temporal/ and visibility/. */
  schemaDir: string;
  /** The standalone Temporal Web UI server. */
  uiServer: string;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

function goEnv(gobin: string): NodeJS.ProcessEnv {
  return { ...process.env, CGO_ENABLED: '0', GOBIN: gobin, GOFLAGS: '-mod=mod' };
}

/** `go install` of `packages` (all of one module version) into `gobin`, with a line every 15 s. */
async function goInstall(
  packages: string[],
  gobin: string,
  what: string,
  onProgress: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  const ticker = setInterval(
    () => onProgress(`  still building ${what}… ${Math.round((Date.now() - started) / 1000)} s`),
    15_000,
  );
  try {
    const r = await runProcess('go', ['install', ...packages], {
      env: goEnv(gobin),
      onLine: (line) => onProgress(`  ${line}`),
    });
    if (r.code !== 0)
      throw new ToolchainError(`go install ${packages.join(' ')} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  } finally {
    clearInterval(ticker);
  }
  onProgress(`${what} built in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Where the module's source lies in the Go module cache (fetched from the proxy when absent). */
async function moduleDir(moduleAtVersion: string): Promise<string> {
  const r = await runProcess('go', ['mod', 'download', '-json', moduleAtVersion], {
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const dir = r.code === 0 ? (JSON.parse(r.stdout) as { Dir?: string }).Dir : undefined;
  if (!dir)
    throw new ToolchainError(`go mod download ${moduleAtVersion} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  return dir;
}

/**
 * Builds into a scratch directory next to `dir` and renames it into place, so an interrupted build
 * never leaves a half-filled cache entry; a lock keeps two callers from building at once.
 */
async function buildOnce(
  cacheDir: string,
  dir: string,
  isComplete: () => Promise<boolean>,
  build: (scratch: string) => Promise<void>,
): Promise<void> {
  if (await isComplete()) return;
  await mkdir(cacheDir, { recursive: true });
  await withLock(`${dir}.lock`, async () => {
    if (await isComplete()) return;
    const scratch = await mkdtemp(`${dir}.build-`);
    try {
      await build(scratch);
      await rm(dir, { recursive: true, force: true });
      await rename(scratch, dir);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

/** The cluster's binaries and schema files, built into `cacheDir` on first use. */
export async function ensureTemporalClusterBinaries(
  cacheDir: string,
  onProgress: (line: string) => void,
): Promise<TemporalClusterBinaries> {
  const serverDir = join(cacheDir, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const uiDir = join(cacheDir, `temporal-ui-server-${TEMPORAL_UI_SERVER_VERSION}`);
  const binaries: TemporalClusterBinaries = {
    server: join(serverDir, 'server'),
    sqlTool: join(serverDir, 'sql'),
    schemaDir: join(serverDir, 'schema', 'postgresql', 'v12'),
    uiServer: join(uiDir, 'server'),
  };
  const serverComplete = async () =>
    (await isExecutable(binaries.server)) &&
    (await isExecutable(binaries.sqlTool)) &&
    (await isDirectory(binaries.schemaDir));
  const uiComplete = () => isExecutable(binaries.uiServer);
  if ((await serverComplete()) && (await uiComplete())) return binaries;
  if (!(await commandExists('go', ['version']))) {
    throw new ToolchainError(
      'npm run cluster builds the Temporal server and UI server with go install on first use: install Go 1.23 or newer',
    );
  }
  onProgress(
    `building Temporal server ${TEMPORAL_SERVER_VERSION} and UI server ${TEMPORAL_UI_SERVER_VERSION} with go install into ${cacheDir} (first run only; minutes on two cores)…`,
  );
  // One after the other: each go install already uses every core.
  await buildOnce(cacheDir, serverDir, serverComplete, async (scratch) => {
    const at = `@v${TEMPORAL_SERVER_VERSION}`;
    await goInstall(
      [`${SERVER_MODULE}/cmd/server${at}`, `${SERVER_MODULE}/cmd/tools/sql${at}`],
      scratch,
      `Temporal server ${TEMPORAL_SERVER_VERSION}`,
      onProgress,
    );
    // The schema files ship in the module: copied next to the binaries, so the cluster needs the
    // Go module cache only while it is built.
    const source = await moduleDir(`${SERVER_MODULE}${at}`);
    await cp(join(source, 'schema', 'postgresql', 'v12'), join(scratch, 'schema', 'postgresql', 'v12'), {
      recursive: true,
    });
    // The module cache is read-only; the copy must not be, or a later rebuild could not replace it.
    await runProcess('chmod', ['-R', 'u+w', join(scratch, 'schema')]);
  });
  await buildOnce(cacheDir, uiDir, uiComplete, async (scratch) => {
    await goInstall(
      [`${UI_MODULE}/cmd/server@v${TEMPORAL_UI_SERVER_VERSION}`],
      scratch,
      `Temporal UI server ${TEMPORAL_UI_SERVER_VERSION}`,
      onProgress,
    );
  });
  return binaries;
}
