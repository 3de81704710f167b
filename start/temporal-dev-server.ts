import { join } from 'node:path';
import type { WardenConfig } from '../config/env';
import { wardenSearchAttributes } from '../domain/search-attributes';

/**
 * The CLI's dev server reads the cluster's search attributes and the namespace from its database on
 * every request that carries or upserts one (it turns the server's cache off unless told): about 8
 * reads per review opening, some 20-40 % of its CPU per workflow. Warden's attributes are registered
 * when the server is created, and a process that adds any later waits until starts accept them
 * (ensureSearchAttributes), so the cache (refreshed every 60 s) is left on.
 */
export const DEV_SERVER_CACHES_SEARCH_ATTRIBUTES = [
  '--dynamic-config-value',
  'system.forceSearchAttributesCacheRefreshOnRead=false',
];

/** `temporal server start-dev` arguments: SQLite file in the data dir, UI on loopback, Warden's attributes. */
export function devServerArgs(config: WardenConfig): string[] {
  return [
    'server',
    'start-dev',
    '--db-filename',
    join(config.dataDir, 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(config.temporal.devServer.port),
    '--ui-port',
    String(config.temporal.devServer.uiPort),
    '--namespace',
    config.temporal.namespace,
    '--log-level',
    'error',
    ...wardenSearchAttributes.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]),
    ...DEV_SERVER_CACHES_SEARCH_ATTRIBUTES,
  ];
}
