import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/env';
import { NoStackError, ProvenanceKeyRequiredError, resolveProvenanceKey } from '../../../config/provenance-key';

const KEY = 'ab'.repeat(32);
const dataDir = () => mkdtemp(join(tmpdir(), 'warden-key-'));

describe('the provenance key from configuration', () => {
  it('generates one into the data directory for the embedded default only, and reuses it', async () => {
    const dir = await dataDir();
    const config = loadConfig({ WARDEN_DATA_DIR: dir });
    const key = await resolveProvenanceKey(config);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect((await readFile(join(dir, 'provenance.key'), 'utf8')).trim()).toBe(key);
    expect(await resolveProvenanceKey(config)).toBe(key);
  });

  it('refuses to generate one for a process on an external database, naming a generated key it could keep', async () => {
    const dir = await dataDir();
    const external = loadConfig({ WARDEN_DATA_DIR: dir, DATABASE_URL: 'postgres://u@db:5432/warden' });
    await expect(resolveProvenanceKey(external)).rejects.toThrow(ProvenanceKeyRequiredError);
    await expect(resolveProvenanceKey(external)).rejects.toThrow(
      /set WARDEN_PROVENANCE_KEY .* or WARDEN_PROVENANCE_KEY_FILE/,
    );
    // An installation that ran on DATABASE_URL with a generated key is told how to keep it.
    await writeFile(join(dir, 'provenance.key'), `${KEY}\n`);
    await expect(resolveProvenanceKey(external)).rejects.toThrow(
      `WARDEN_PROVENANCE_KEY_FILE=${join(dir, 'provenance.key')}`,
    );
    // The CLI never generates one: it reads what the stack of that data directory uses.
    expect(await resolveProvenanceKey(external, { create: false })).toBe(KEY);
    await expect(
      resolveProvenanceKey(loadConfig({ WARDEN_DATA_DIR: await dataDir() }), { create: false }),
    ).rejects.toThrow(NoStackError);
  });

  it('reads WARDEN_PROVENANCE_KEY_FILE (a mounted secret) and checks its form', async () => {
    const dir = await dataDir();
    const file = join(dir, 'secret');
    await writeFile(file, `${KEY.toUpperCase()}\n`);
    const config = loadConfig({
      WARDEN_DATA_DIR: dir,
      DATABASE_URL: 'postgres://u@db:5432/warden',
      WARDEN_PROVENANCE_KEY_FILE: file,
    });
    expect(config.provenanceKeyFile).toBe(file);
    expect(await resolveProvenanceKey(config)).toBe(KEY);
    await writeFile(file, 'not a key\n');
    await expect(resolveProvenanceKey(config)).rejects.toThrow(
      `${file} does not hold a key of 64+ hex characters; fix WARDEN_PROVENANCE_KEY_FILE`,
    );
  });

  it('takes the key or the key file, not both', () => {
    expect(() => loadConfig({ WARDEN_PROVENANCE_KEY: KEY, WARDEN_PROVENANCE_KEY_FILE: '/run/secrets/k' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ WARDEN_PROVENANCE_KEY: KEY, WARDEN_PROVENANCE_KEY_FILE: '/run/secrets/k' })).toThrow(
      /WARDEN_PROVENANCE_KEY_FILE: set WARDEN_PROVENANCE_KEY or/,
    );
  });
});

describe('the export sink and Temporal TLS settings', () => {
  it('keeps exports in PostgreSQL unless WARDEN_EXPORT_SINK=file', () => {
    expect(loadConfig({}).exportSink).toBe('postgres');
    expect(loadConfig({ WARDEN_EXPORT_SINK: 'file', WARDEN_EXPORT_DIR: '/srv/exports' })).toMatchObject({
      exportSink: 'file',
      exportDir: '/srv/exports',
    });
    expect(() => loadConfig({ WARDEN_EXPORT_SINK: 's3' })).toThrow(/WARDEN_EXPORT_SINK: expected postgres or file/);
  });

  it('reads a Temporal Cloud namespace with an API key, and mTLS with a CA of its own', () => {
    const cloud = loadConfig({
      TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'warden.a1b2c',
      TEMPORAL_API_KEY: 'secret',
    });
    expect(cloud.temporal).toMatchObject({
      namespace: 'warden.a1b2c',
      apiKey: 'secret',
      tls: { certPath: undefined, caPath: undefined },
    });
    const mtls = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CERT: '/tls/client.pem',
      TEMPORAL_TLS_KEY: '/tls/client.key',
      TEMPORAL_TLS_CA: '/tls/ca.pem',
      TEMPORAL_TLS_SERVER_NAME: 'temporal',
    });
    expect(mtls.temporal.tls).toEqual({
      certPath: '/tls/client.pem',
      keyPath: '/tls/client.key',
      caPath: '/tls/ca.pem',
      serverName: 'temporal',
    });
    // A CA alone still means TLS (a server certificate from a private CA, no client certificate).
    expect(loadConfig({ TEMPORAL_TLS_CA: '/tls/ca.pem' }).temporal.tls).toMatchObject({ caPath: '/tls/ca.pem' });
    expect(loadConfig({ TEMPORAL_TLS_CA: '/tls/ca.pem', TEMPORAL_TLS: 'false' }).temporal.tls).toBeUndefined();
  });
});
