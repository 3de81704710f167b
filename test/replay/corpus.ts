import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryAndWorkflowId } from '@temporalio/common';
import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils';

/**
 * The replay corpus: one history per file, `histories/<workflow type>/<case>.json`, in the JSON
 * form Temporal's own tools write (`historyToJSON`), which `Worker.runReplayHistories` reads back.
 */
export const HISTORIES_DIR = fileURLToPath(new URL('./histories/', import.meta.url));

export interface CorpusEntry {
  /** The directory: the workflow type the history must have been started as. */
  workflowType: string;
  /** The file name without `.json`. */
  caseName: string;
  path: string;
}

export async function listCorpus(dir = HISTORIES_DIR): Promise<CorpusEntry[]> {
  const entries: CorpusEntry[] = [];
  for (const type of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!type.isDirectory()) continue;
    for (const file of (await readdir(join(dir, type.name))).sort()) {
      if (file.endsWith('.json'))
        entries.push({
          workflowType: type.name,
          caseName: file.slice(0, -'.json'.length),
          path: join(dir, type.name, file),
        });
    }
  }
  return entries;
}

/** The history of a corpus file, named for the replayer by its file (a failure then says which case broke). */
export async function readCorpusHistory(
  entry: CorpusEntry,
): Promise<HistoryAndWorkflowId & { history: RecordedHistory }> {
  const history = JSON.parse(await readFile(entry.path, 'utf8')) as RecordedHistory;
  return { workflowId: `${entry.workflowType}/${entry.caseName}`, history };
}

/** The fields of a recorded history the corpus checks look at (the rest is passed to the replayer as is). */
export interface RecordedHistory {
  events: { eventType?: string; workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }[];
}

/** The workflow type a history was started as: its first event says. */
export function startedAs(history: RecordedHistory | History): string | undefined {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

/** Writes a fetched history into the corpus, under the workflow type it was started as. */
export async function writeCorpusHistory(history: History, caseName: string, dir = HISTORIES_DIR): Promise<string> {
  const type = startedAs(history);
  if (!type) throw new Error(`case ${caseName}: the history has no WorkflowExecutionStarted event`);
  await mkdir(join(dir, type), { recursive: true });
  const path = join(dir, type, `${caseName}.json`);
  // Indented: a re-recorded case shows in review as a readable diff of events.
  await writeFile(path, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
  return path;
}
