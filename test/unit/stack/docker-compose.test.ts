import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, requiredInDeployment, variables } from '../../../config/env';
import { TEMPORAL_UI_VERSION } from '../../../toolchain/temporal-cli';

/** The Temporal server `npm run cluster` builds (toolchain/temporal-cluster-build.ts on the cluster branch). */
const CLUSTER_SERVER_VERSION = '1.29.1';

type Service = Record<string, any>;

async function compose(): Promise<{ services: Record<string, Service>; volumes?: Record<string, unknown> }> {
  // `merge: true` resolves the `<<: *warden-environment` keys as Docker Compose does.
  return parse(await readFile(new URL('../../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true });
}

const wardenServices = (services: Record<string, Service>) =>
  Object.entries(services).filter(([, s]) => s.build !== undefined);

/** Docker cannot run here, so the compose file is checked against the config module and the roles instead. */
describe('docker-compose.yml', () => {
  it('runs Warden as worker replicas and API replicas, each with the role command', async () => {
    const { services } = await compose();
    expect(
      wardenServices(services)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['warden-api', 'warden-worker']);
    expect(services['warden-worker']!.command).toEqual(['node', 'bin/warden.js', 'worker']);
    expect(services['warden-api']!.command).toEqual(['node', 'bin/warden.js', 'api']);
    for (const name of ['warden-worker', 'warden-api'])
      expect(services[name]!.deploy.replicas, name).toBeGreaterThanOrEqual(2);
    // Only the API serves HTTP; its replicas need a host port each.
    expect(services['warden-worker']!.ports).toBeUndefined();
    expect(services['warden-api']!.ports).toEqual(['8787-8788:8787']);
  });

  it('gives every Warden replica every variable a deployment needs, only known ones, with valid values', async () => {
    const { services } = await compose();
    for (const [name, service] of wardenServices(services)) {
      const env: Record<string, string> = Object.fromEntries(
        Object.entries<unknown>(service.environment).map(([k, v]) => [
          k,
          // ${VAR:?message} is filled in by the operator; use a well-formed sample for the check.
          String(v).replace(/^\$\{[A-Z_]+:\?[^}]*\}$/, 'ab'.repeat(32)),
        ]),
      );
      for (const variable of requiredInDeployment)
        expect(env, `${name}: ${variable} must be set`).toHaveProperty(variable);
      for (const variable of Object.keys(env))
        expect(Object.keys(variables), `${variable} is not a Warden variable`).toContain(variable);
      const config = loadConfig(env);
      expect(config.temporal.externalAddress).toBe('temporal:7233');
      expect(config.externalDatabaseUrl).toMatch(/@warden-postgresql:5432\//);
      expect(config.http.host).toBe('0.0.0.0');
      expect(config.exportSink).toBe('postgres');
      expect(
        config.provenanceKey ?? config.provenanceKeyFile,
        `${name} must be given the provenance key`,
      ).toBeDefined();
    }
  });

  it('shares no local volume between Warden replicas: their state is in PostgreSQL and the configuration', async () => {
    const { services, volumes } = await compose();
    for (const [name, service] of wardenServices(services)) {
      expect(service.volumes, `${name} mounts a volume`).toBeUndefined();
      expect(service.environment.WARDEN_DATA_DIR, `${name} names a data directory`).toBeUndefined();
    }
    // The named volumes that remain belong to the databases alone.
    const mounted = Object.entries(services).flatMap(([name, s]) =>
      ((s.volumes ?? []) as string[]).map((v) => [name, v.split(':')[0]] as const),
    );
    expect(Object.keys(volumes ?? {}).sort()).toEqual(['temporal-pg', 'warden-pg']);
    expect(mounted).toEqual([
      ['temporal-postgresql', 'temporal-pg'],
      ['warden-postgresql', 'warden-pg'],
    ]);
  });

  it('runs the Temporal server of the cluster script on its own PostgreSQL, with its SQL schemas set up first', async () => {
    const { services } = await compose();
    expect(services.temporal!.image).toBe(`temporalio/server:${CLUSTER_SERVER_VERSION}`);
    expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'temporal-postgresql' });
    const schema = services['temporal-schema']!;
    expect(schema.image).toBe(`temporalio/admin-tools:${CLUSTER_SERVER_VERSION}`);
    const script = (schema.command as string[]).join('\n');
    expect(script).toMatch(
      /temporal-sql-tool --db "\$\$db" update-schema -d "\/etc\/temporal\/schema\/postgresql\/v12\/\$\$dir\/versioned"/,
    );
    expect(script).toContain('temporal_visibility');
    expect(services.temporal!.depends_on['temporal-schema']).toEqual({ condition: 'service_completed_successfully' });
    // Warden starts once the namespace exists (with its retention).
    expect((services['temporal-namespace']!.command as string[]).join('\n')).toMatch(
      /namespace create .* --retention \d+d/,
    );
    for (const name of ['warden-worker', 'warden-api']) {
      expect(services[name]!.depends_on['temporal-namespace'], name).toEqual({
        condition: 'service_completed_successfully',
      });
      expect(services[name]!.depends_on['warden-postgresql'], name).toEqual({ condition: 'service_healthy' });
    }
    expect(services['temporal-ui']!.environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    // The same Web UI as the dev server of `npm start` and the tests embeds.
    expect(services['temporal-ui']!.image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
  });
});
