import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { withLock } from '../../toolchain/file-lock';
import { cachedWorkflowBundle } from '../../worker/workflow-bundle-cache';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cacheDir = join(root, '.warden-test', 'workflow-bundles');

/**
 * The path of the one workflow bundle every test project runs (all Warden workflows plus the test
 * fixtures, test-workflows.ts), built with webpack only when a source (the tests' included)
 * changed since the last run. The projects' setups may ask at the same moment: one builds.
 */
export async function testWorkflowBundlePath(): Promise<string> {
  return withLock(`${cacheDir}.lock`, async () => {
    const bundle = await cachedWorkflowBundle({
      root,
      workflowsPath: fileURLToPath(new URL('./test-workflows.ts', import.meta.url)),
      cacheDir,
      include: ['test'],
      // A project's setup may build a newer one while another project's files still run an older one.
      keep: 4,
      log: (line) => console.warn(line),
    });
    return bundle.path;
  });
}
