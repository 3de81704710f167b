import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportText, type ExportRef, type ExportSink } from '../domain/delegation/export-sink';

const stagedName = (fileName: string, tag: string) => `.staged-${tag}-${fileName}`;

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Export documents as JSON files in `dir` (WARDEN_EXPORT_SINK=file), for readers that pick them up
 * from a directory. A staged document is a dot-file beside the current one; promoting it is a
 * rename, so a reader never sees half a file. Every replica must see the same directory.
 */
export function fileExportSink(dir: string): ExportSink {
  const path = (ref: ExportRef) => join(dir, ref.fileName);
  const staged = (ref: ExportRef, tag: string) => join(dir, stagedName(ref.fileName, tag));
  return {
    kind: 'file',
    where: path,
    read: (ref) => readIfThere(path(ref)),
    async stage(ref, tag, doc) {
      await mkdir(dir, { recursive: true });
      await writeFile(staged(ref, tag), exportText(doc));
    },
    readStaged: (ref, tag) => readIfThere(staged(ref, tag)),
    async promote(ref, tag) {
      try {
        await rename(staged(ref, tag), path(ref));
      } catch (error) {
        // Already moved by an earlier attempt.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
    async discard(ref, tag) {
      await rm(staged(ref, tag), { force: true });
    },
  };
}
