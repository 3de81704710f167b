import { freePort } from '../toolchain/child-process';

export interface StackPorts {
  temporal: number;
  ui: number;
  pg: number;
  http: number;
}

/**
 * The environment for a stack of its own: embedded Temporal and PostgreSQL (whatever the caller's
 * environment points at is cleared), a generated provenance key, free ports and `dataDir`.
 */
export async function ownStackEnv(
  dataDir: string,
  extra: Record<string, string> = {},
): Promise<{ env: NodeJS.ProcessEnv; ports: StackPorts }> {
  const [temporal, ui, pg, http] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const ports = { temporal, ui, pg, http };
  return {
    ports,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: '',
      DATABASE_URL: '',
      WARDEN_PROVENANCE_KEY: '',
      WARDEN_DATA_DIR: dataDir,
      TEMPORAL_PORT: String(temporal),
      TEMPORAL_UI_PORT: String(ui),
      WARDEN_PG_PORT: String(pg),
      WARDEN_HTTP_PORT: String(http),
      ...extra,
    },
  };
}
