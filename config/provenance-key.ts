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

/** A deployed process (DATABASE_URL set) was given no key: one generated on its own disk would differ per replica. */
export class ProvenanceKeyRequiredError extends Error {
  override name = 'ProvenanceKeyRequiredError';
  constructor(generatedFile: string | undefined) {
    super(
      'refusing to start: DATABASE_URL names a PostgreSQL server that other Warden processes may share, so the provenance key ' +
        'must come from configuration: set WARDEN_PROVENANCE_KEY (64+ hex characters, e.g. `openssl rand -hex 32`) or ' +
        'WARDEN_PROVENANCE_KEY_FILE to the same key in every process.' +
        (generatedFile
          ? ` This data directory holds a generated key: WARDEN_PROVENANCE_KEY_FILE=${generatedFile} keeps using it.`
          : ''),
    );
  }
}

const HEX_KEY = /^[0-9a-f]{64,}$/;

async function readKeyFile(file: string, fix: string): Promise<string> {
  const stored = (await readFile(file, 'utf8')).trim().toLowerCase();
  if (!HEX_KEY.test(stored)) throw new Error(`${file} does not hold a key of 64+ hex characters; ${fix}`);
  return stored;
}

async function exists(file: string): Promise<boolean> {
  try {
    await readFile(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The provenance HMAC key: WARDEN_PROVENANCE_KEY or WARDEN_PROVENANCE_KEY_FILE when set. Without
 * either, the embedded default (no DATABASE_URL) generates a key once into the data directory (mode
 * 0600) and reuses it, so signatures stay verifiable across restarts; a process on an external
 * database refuses instead (ProvenanceKeyRequiredError), since every replica must sign with one
 * key (db/provenance/signing-key.ts then checks it against the chain's). With `create: false` (the
 * CLI) a missing key is an error that says no stack was started there: a key made up by a command
 * would sign entries the stack cannot verify.
 */
export async function resolveProvenanceKey(config: WardenConfig, opts: { create?: boolean } = {}): Promise<string> {
  if (config.provenanceKey) return config.provenanceKey.toLowerCase();
  if (config.provenanceKeyFile) return readKeyFile(config.provenanceKeyFile, 'fix WARDEN_PROVENANCE_KEY_FILE');
  const file = join(config.dataDir, 'provenance.key');
  if (config.externalDatabaseUrl !== undefined && opts.create !== false) {
    throw new ProvenanceKeyRequiredError((await exists(file)) ? file : undefined);
  }
  try {
    return await readKeyFile(file, 'remove it or set WARDEN_PROVENANCE_KEY');
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
