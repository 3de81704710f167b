import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WardenConfig } from './env';

/** No Warden stack has run with this data directory (and no key was given). */
export class NoStackError extends Error {
  override name = 'NoStackError';
  constructor(dataDir: string) {
    super(
      `no Warden stack found: ${dataDir} holds no provenance key, so no stack has been started with this data directory. ` +
        'Start one with `npm start` in the Warden clone (or point WARDEN_DATA_DIR, DATABASE_URL and TEMPORAL_ADDRESS at a running one, with WARDEN_PROVENANCE_KEY).',
    );
  }
}

/**
 * The provenance HMAC key: WARDEN_PROVENANCE_KEY when set, else a key generated once into the data
 * directory (mode 0600) and reused, so signatures stay verifiable across restarts. With `create:
 * false` (the CLI) a missing key is an error that says no stack was started there: a key made up
 * by a command would sign entries the stack cannot verify.
 */
export async function resolveProvenanceKey(config: WardenConfig, opts: { create?: boolean } = {}): Promise<string> {
  if (config.provenanceKey) return config.provenanceKey.toLowerCase();
  const file = join(config.dataDir, 'provenance.key');
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64,}$/.test(stored)) return stored;
    throw new Error(`${file} does not hold a hex key; remove it or set WARDEN_PROVENANCE_KEY`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (opts.create === false) throw new NoStackError(config.dataDir);
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
