import type { ExportDocument } from './export-gates';

/** Which export a sink call is about: PostgreSQL keys documents by id, the file sink by file name. */
export interface ExportRef {
  exportId: string;
  fileName: string;
}

/**
 * Where export documents live: PostgreSQL (the default, so that no replica keeps anything on its
 * own disk) or files in the export directory. A re-stamp writes every new document beside the old
 * one first ("staged", under a tag), gates what the sink gives back, and only replaces the current
 * document once the database change has committed. Every call is idempotent, so a retried
 * activity can repeat any of them.
 */
export interface ExportSink {
  readonly kind: 'postgres' | 'file';
  /** Where a document is, for messages: a file path or the table row. */
  where(ref: ExportRef): string;
  /** The current document's text, or undefined when there is none. */
  read(ref: ExportRef): Promise<string | undefined>;
  stage(ref: ExportRef, tag: string, doc: ExportDocument): Promise<void>;
  /** The staged document's text, or undefined when nothing is staged under the tag. */
  readStaged(ref: ExportRef, tag: string): Promise<string | undefined>;
  /** Makes the staged document current; nothing staged (already promoted) is no error. */
  promote(ref: ExportRef, tag: string): Promise<void>;
  discard(ref: ExportRef, tag: string): Promise<void>;
}

/** The text a sink stores for a document (what an export file has always held). */
export const exportText = (doc: ExportDocument): string => `${JSON.stringify(doc, null, 2)}\n`;

/** Writes an export in place: the first stamp, or repairing one after a crash. */
export async function writeExport(sink: ExportSink, ref: ExportRef, doc: ExportDocument, tag: string): Promise<void> {
  await sink.stage(ref, tag, doc);
  await sink.promote(ref, tag);
}

/** The ABP hash a staged document embeds, or undefined when nothing readable is staged. */
export async function stagedAbpHash(sink: ExportSink, ref: ExportRef, tag: string): Promise<unknown> {
  const text = await sink.readStaged(ref, tag);
  if (text === undefined) return undefined;
  try {
    return (JSON.parse(text) as { abp?: { hash?: unknown } }).abp?.hash;
  } catch {
    return undefined;
  }
}
