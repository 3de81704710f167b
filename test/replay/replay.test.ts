import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import * as workflows from '../../workflows';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { patchIds } from '../support/bundle-with-stand-in';
import { testWorkflowBundlePath } from '../support/workflow-bundle';
import { EARLIER_RELEASES } from './cases/earlier-release';
import { listCorpus, readCorpusHistory, startedAs, type CorpusEntry } from './corpus';

/**
 * Deploy safety: every history in test/replay/histories (recorded from released workflow code by
 * `npm run replay:record`) must replay on the workflow code as it is now. A change that would
 * wedge a running workflow (a reordered or removed activity, timer or child, a condition moved
 * across a command) fails here, in CI, instead of in production on a 7-day review.
 */

// The SDK registers every function workflows/index.ts exports as a workflow type.
const workflowTypes = Object.entries(workflows)
  .filter(([, value]) => typeof value === 'function')
  .map(([name]) => name)
  .sort();

let corpus: CorpusEntry[];

beforeAll(async () => {
  corpus = await listCorpus();
});

describe('the replay corpus', () => {
  it('has a history for every workflow type the worker registers', () => {
    expect(workflowTypes.length).toBeGreaterThan(0);
    const covered = new Set(corpus.map((e) => e.workflowType));
    const missing = workflowTypes.filter((t) => !covered.has(t));
    expect(missing, `record a history for each (npm run replay:record -- <workflow>): ${missing.join(', ')}`).toEqual(
      [],
    );
  });

  it('files each history under the workflow type it was started as, and only under types that exist', async () => {
    for (const entry of corpus) {
      expect(
        workflowTypes,
        `${entry.workflowType}/${entry.caseName}: no such workflow type in workflows/index.ts`,
      ).toContain(entry.workflowType);
      const { history } = await readCorpusHistory(entry);
      expect(startedAs(history), `${entry.workflowType}/${entry.caseName}`).toBe(entry.workflowType);
    }
  });

  it('holds both paths of every patch an earlier release lacked: histories recorded before it, without its marker, and one with it', async () => {
    const markers = new Map<CorpusEntry, string[]>();
    for (const entry of corpus) markers.set(entry, patchIds(historyFromJSON((await readCorpusHistory(entry)).history)));
    for (const release of EARLIER_RELEASES) {
      const before = corpus.filter((e) => e.caseName.endsWith(`.${release.suffix}`));
      expect(before.length, `no history of the path before ${release.patchId} (*.${release.suffix})`).toBeGreaterThan(
        0,
      );
      for (const e of before) expect(markers.get(e), `${e.workflowType}/${e.caseName}`).not.toContain(release.patchId);
      const after = corpus.filter((e) => markers.get(e)!.includes(release.patchId));
      expect(after.length, `no history recorded through ${release.patchId}`).toBeGreaterThan(0);
    }
  });

  it('replays every history on the current workflow code', async () => {
    // A broken history is reported by the assertion below, naming its case; core's own warning about it adds nothing.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
    const codePath = await testWorkflowBundlePath();
    const histories = await Promise.all(corpus.map(readCorpusHistory));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath } }, histories)) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(
      failures,
      'a change that breaks these needs patched()/deprecatePatch or a new Worker Deployment Version (README: Changing a workflow safely)',
    ).toEqual([]);
    expect(replayed).toBe(corpus.length);
  });
});
