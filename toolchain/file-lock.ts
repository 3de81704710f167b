import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding a lock file. Test files and `npm start` may ask for the same toolchain piece at
 * the same moment on a cold cache; one of them fetches or builds while the others wait. A lock
 * left by a dead process is taken over.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  for (;;) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(path, 'utf8').catch(() => ''));
      // An empty file is a lock being written this instant, unless it has been empty for long.
      const stale = holder
        ? !isAlive(holder)
        : Date.now() - (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs > 30_000;
      if (stale) await rm(path, { force: true });
      else await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
