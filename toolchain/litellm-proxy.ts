import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withLock } from './file-lock';
import { commandExists, runProcess } from './run-process';

/** The LiteLLM proxy the gateway tests drive (1.110.2's proxy extra pins a package PyPI does not serve). */
export const LITELLM_REQUIREMENT = 'litellm[proxy]==1.104.0';
const VENV = 'litellm-1.104.0';

/**
 * The real LiteLLM proxy for tests only (Warden itself never runs it): installed once with ordinary
 * pip from PyPI into a venv under the toolchain cache, like the Temporal wheels. Resolves to the
 * `litellm` executable, or undefined when python3 (with venv and pip) is missing.
 */
export async function ensureLiteLlmProxy(
  cacheDir: string,
  onProgress: (line: string) => void,
): Promise<string | undefined> {
  const venv = join(cacheDir, VENV);
  const bin = join(venv, 'bin', 'litellm');
  const done = join(venv, '.installed');
  if (existsSync(done) && existsSync(bin)) return bin;
  if (!(await commandExists('python3'))) return undefined;
  await mkdir(cacheDir, { recursive: true });
  return withLock(join(cacheDir, `${VENV}.lock`), async () => {
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
      LITELLM_REQUIREMENT,
    ]);
    if (pip.code !== 0 || !existsSync(bin)) {
      throw new Error(
        `pip install ${LITELLM_REQUIREMENT} failed (exit ${pip.code}): ${pip.stderr.trim().split('\n').slice(-3).join(' ')}`,
      );
    }
    await writeFile(done, `${LITELLM_REQUIREMENT}\n`);
    return bin;
  });
}
