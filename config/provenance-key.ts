import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WardenConfig } from './env';

/**
 * The provenance HMAC key: WARDEN_PROVENANCE_KEY when set, else a key generated once into the data
 * directory (mode 0600) and reused, so signatures stay verifiable across restarts.
 */
export async function resolveProvenanceKey(config: WardenConfig): Promise<string> {
  if (config.provenanceKey) return config.provenanceKey.toLowerCase();
  const file = join(config.dataDir, 'provenance.key');
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64,}$/.test(stored)) return stored;
    throw new Error(`${file} does not hold a hex key; remove it or set WARDEN_PROVENANCE_KEY`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  try {
    await writeFile(file, key + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw error;
  }
}
