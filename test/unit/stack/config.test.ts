import { describe, expect, it } from 'vitest';
import { ConfigError, configTable, loadConfig, variables } from '../../../config/env';

describe('configuration', () => {
  it('defaults to the embedded stack on loopback', () => {
    const c = loadConfig({});
    expect(c.temporal.externalAddress).toBeUndefined();
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.temporal.uiUrl).toBe('http://127.0.0.1:8233');
    expect(c.externalDatabaseUrl).toBeUndefined();
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:55432/postgres');
    expect(c.temporal.tls).toBeUndefined();
    expect(c.dataDir.endsWith('.warden')).toBe(true);
  });

  it('uses an existing cluster and database when named, with TLS implied by an API key', () => {
    const c = loadConfig({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'k',
      DATABASE_URL: 'postgresql://u:p@db:5432/warden',
    });
    expect(c.temporal).toMatchObject({
      externalAddress: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      apiKey: 'k',
    });
    expect(c.temporal.tls).toBeDefined();
    expect(c.databaseUrl).toBe('postgresql://u:p@db:5432/warden');
  });

  it('names every bad variable with the expected form', () => {
    try {
      loadConfig({
        WARDEN_HTTP_PORT: '99999',
        TEMPORAL_ADDRESS: 'no-port',
        DATABASE_URL: 'mysql://x',
        WARDEN_LOG_LEVEL: 'loud',
        WARDEN_MAX_CACHED_WORKFLOWS: '1',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const vars = (e as ConfigError).problems.map((p) => p.variable).sort();
      expect(vars).toEqual([
        'DATABASE_URL',
        'TEMPORAL_ADDRESS',
        'WARDEN_HTTP_PORT',
        'WARDEN_LOG_LEVEL',
        'WARDEN_MAX_CACHED_WORKFLOWS',
      ]);
      expect((e as Error).message).toMatch(/WARDEN_HTTP_PORT: expected a TCP port/);
    }
  });

  it('needs a TLS certificate and key together', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: '/c.pem' })).toThrow(/TEMPORAL_TLS_KEY/);
  });

  it('documents every variable in the README table', () => {
    const table = configTable();
    for (const name of Object.keys(variables)) expect(table).toContain(`\`${name}\``);
  });
});

describe('README', () => {
  it('carries the configuration table exactly as the config module describes it', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(configTable());
  });
});
