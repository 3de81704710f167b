import type pg from 'pg';
import type { WardenConfig } from '../config/env';
import { postgresExportSink } from '../db/delegation/export-documents';
import type { ExportSink } from '../domain/delegation/export-sink';
import { fileExportSink } from '../export-files/file-sink';

/** The export sink WARDEN_EXPORT_SINK names (the worker's activities choose theirs the same way). */
export function exportSinkFor(config: WardenConfig, pool: pg.Pool): ExportSink {
  return config.exportSink === 'file' ? fileExportSink(config.exportDir) : postgresExportSink(pool);
}
