import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, requiredInDeployment, variables } from '../../../config/env';
import { TEMPORAL_UI_VERSION } from '../../../toolchain/temporal-cli';

/** Docker cannot run here, so the compose file is checked against the config module instead. */
describe('docker-compose.yml', () => {
  it('gives the Warden service every variable a deployment needs, only known ones, with valid values', async () => {
    const compose = parse(await readFile(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'));
    const wardenServices = Object.entries<any>(compose.services).filter(([, s]) => s.build !== undefined);
    expect(wardenServices.map(([name]) => name)).toEqual(['warden']);
    for (const [, service] of wardenServices) {
      const env: Record<string, string> = Object.fromEntries(
        Object.entries<unknown>(service.environment).map(([k, v]) => [
          k,
          // ${VAR:?message} is filled in by the operator; use a well-formed sample for the check.
          String(v).replace(/^\$\{[A-Z_]+:\?[^}]*\}$/, 'ab'.repeat(32)),
        ]),
      );
      for (const name of requiredInDeployment) expect(env, `${name} must be set`).toHaveProperty(name);
      for (const name of Object.keys(env)) expect(Object.keys(variables), `${name} is not a Warden variable`).toContain(name);
      const config = loadConfig(env);
      expect(config.temporal.externalAddress).toBe('temporal:7233');
      expect(config.externalDatabaseUrl).toMatch(/@warden-postgresql:5432\//);
      expect(config.http.host).toBe('0.0.0.0');
    }
  });

  it('runs Temporal with its own PostgreSQL and the Temporal UI pointed at it', async () => {
    const compose = parse(await readFile(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'));
    expect(compose.services.temporal.environment.POSTGRES_SEEDS).toBe('temporal-postgresql');
    expect(compose.services['temporal-ui'].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    // The same Web UI as the dev server of `npm start` and the tests embeds.
    expect(compose.services['temporal-ui'].image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
    expect(compose.services.warden.depends_on).toHaveProperty('warden-postgresql');
  });
});
