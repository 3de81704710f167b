import { join } from 'node:path';
import type { WardenConfig } from '../config/env';
import { wardenSearchAttributes } from '../domain/search-attributes';

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
  ];
}
