import { existsSync } from 'node:fs';
import { runProcess } from './run-process';

/** Debian's chromium, which the browser tests drive through playwright-core. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_MISSING = `the browser tests need Debian's chromium at ${CHROMIUM_PATH}; as root \`npm test\` installs it, otherwise run: sudo apt-get install chromium`;

/**
 * Installs Debian's chromium with apt-get when it is missing and we are root. Playwright's own
 * browser download is never used. Without root the missing browser is reported and the other
 * tests still run; only the browser project then fails, with the same message.
 */
export async function ensureChromium(onProgress: (line: string) => void): Promise<boolean> {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.getuid?.() !== 0) {
    onProgress(CHROMIUM_MISSING);
    return false;
  }
  onProgress("installing Debian's chromium (apt-get install chromium)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await runProcess('apt-get', ['update', '-qq'], { env });
  const install =
    update.code === 0 ? await runProcess('apt-get', ['install', '-y', '-qq', 'chromium'], { env }) : update;
  if (install.code !== 0 || !existsSync(CHROMIUM_PATH)) {
    onProgress(
      `apt-get could not install chromium (exit ${install.code}): ${install.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
    return false;
  }
  onProgress(`chromium installed at ${CHROMIUM_PATH}`);
  return true;
}
