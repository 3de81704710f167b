import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { withLock } from './file-lock';
import { commandExists, runProcess } from './run-process';
import { ToolchainError } from './toolchain-error';

/**
 * Open Policy Agent, the decision engine the action-check benchmark compares against
 * (ANCHORS.md §6): `go install` of the pinned version, pure Go, into the toolchain cache, once.
 */
export const OPA_VERSION = 'v1.22.4';
const MODULE = 'github.com/open-policy-agent/opa';

const binaryPath = (cacheDir: string) => join(cacheDir, `opa-${OPA_VERSION}`, 'opa');

async function runs(binary: string): Promise<boolean> {
  try {
    await access(binary, constants.X_OK);
    return (await runProcess(binary, ['version'])).code === 0;
  } catch {
    return false;
  }
}

/** The cached OPA binary, built with `CGO_ENABLED=0 go install` when missing (minutes; seconds with a warm Go build cache). */
export async function ensureOpa(cacheDir: string, log: (line: string) => void = () => undefined): Promise<string> {
  const binary = binaryPath(cacheDir);
  if (await runs(binary)) return binary;
  return withLock(`${binary}.lock`, async () => {
    if (await runs(binary)) return binary;
    if (!(await commandExists('go', ['version'])))
      throw new ToolchainError(`OPA ${OPA_VERSION} is built with Go, and go is not on PATH`);
    await mkdir(cacheDir, { recursive: true });
    const gobin = await mkdtemp(join(cacheDir, 'opa-build-'));
    try {
      log(`building OPA ${OPA_VERSION} with go install (once; kept in ${cacheDir})`);
      const r = await runProcess('go', ['install', `${MODULE}@${OPA_VERSION}`], {
        env: { ...process.env, CGO_ENABLED: '0', GOBIN: gobin },
      });
      if (r.code !== 0)
        throw new ToolchainError(`go install ${MODULE}@${OPA_VERSION} failed: ${r.stderr.trim().slice(-500)}`);
      await mkdir(join(cacheDir, `opa-${OPA_VERSION}`), { recursive: true });
      await rename(join(gobin, 'opa'), binary);
    } finally {
      await rm(gobin, { recursive: true, force: true });
    }
    if (!(await runs(binary))) throw new ToolchainError(`OPA ${OPA_VERSION} was built but ${binary} does not run`);
    return binary;
  });
}
