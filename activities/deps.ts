import type pg from 'pg';
import type { WardenConfig } from '../config/env';

/** What every activity factory is given: the shared database pool, configuration and signing key. */
export interface ActivityDeps {
  pool: pg.Pool;
  config: WardenConfig;
  provenanceKey: string;
}
