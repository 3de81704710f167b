import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExportDocument } from '../domain/delegation/export-gates';

/**
 * Export files: JSON documents in the export directory that embed an ABP (db/delegation/exports.ts
 * keeps a row for each). A re-stamp writes every new document next to the old one first
 * ("staged"), gates the staged files as read back from disk, and only moves them into place once
 * the database change has committed.
 */
const stagedName = (fileName: string, tag: string) => `.staged-${tag}-${fileName}`;

export async function writeStaged(dir: string, fileName: string, tag: string, doc: ExportDocument): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, stagedName(fileName, tag));
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}

export async function promoteStaged(dir: string, fileName: string, tag: string): Promise<void> {
  await rename(join(dir, stagedName(fileName, tag)), join(dir, fileName));
}

/** The hash of the ABP a staged file embeds, or undefined when there is no such file or it is unreadable. */
export async function stagedAbpHash(dir: string, fileName: string, tag: string): Promise<unknown> {
  try {
    return (JSON.parse(await readFile(join(dir, stagedName(fileName, tag)), 'utf8')) as { abp?: { hash?: unknown } }).abp?.hash;
  } catch {
    return undefined;
  }
}

export async function discardStaged(dir: string, fileName: string, tag: string): Promise<void> {
  await rm(join(dir, stagedName(fileName, tag)), { force: true });
}

/** Writes an export in place (first stamp, or repairing a file after a crash). */
export async function writeExport(dir: string, fileName: string, doc: ExportDocument): Promise<void> {
  const tag = `w${process.pid}`;
  await writeStaged(dir, fileName, tag, doc);
  await promoteStaged(dir, fileName, tag);
}
