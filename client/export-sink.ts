import type { WardenConfig } from '../config/env';
import type { Queryable } from '../db/pool';
import { postgresExportSink } from '../db/delegation/export-documents';
import type { ExportSink } from '../domain/delegation/export-sink';
import { fileExportSink } from '../export-files/file-sink';

/**
 * The export sink WARDEN_EXPORT_SINK names (the worker's activities choose theirs the same way),
 * its PostgreSQL work done on `q`: the pool, or a transaction's client when the caller holds one
 * (another connection would wait for that transaction on the embedded database).
 */
export function exportSinkFor(config: WardenConfig, q: Queryable): ExportSink {
  return config.exportSink === 'file' ? fileExportSink(config.exportDir) : postgresExportSink(q);
}
