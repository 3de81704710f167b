import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedWorkflowBundle, workflowSourceDigest } from '../../../worker/workflow-bundle-cache';

const fixture = fileURLToPath(new URL('../../fixtures/timer-workflow.ts', import.meta.url));
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function project(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'warden-bundle-src-'));
  dirs.push(root);
  await mkdir(join(root, 'workflows'));
  await mkdir(join(root, 'test'));
  await mkdir(join(root, 'data'));
  await writeFile(join(root, 'workflows', 'a.ts'), 'export const a = 1;\n');
  await writeFile(join(root, 'test', 'a.test.ts'), 'export {};\n');
  await writeFile(join(root, 'package-lock.json'), '{"lockfileVersion":3}\n');
  return root;
}

describe('the workflow bundle cache', () => {
  it('digests the sources a bundle can come from, and nothing else', async () => {
    const root = await project();
    const first = await workflowSourceDigest(root, join(root, 'data'));
    await writeFile(join(root, 'test', 'a.test.ts'), 'export const changed = true;\n');
    await writeFile(join(root, 'data', 'workflow-bundle-x.js'), 'bundle');
    expect(await workflowSourceDigest(root, join(root, 'data'))).toBe(first);
    await writeFile(join(root, 'workflows', 'a.ts'), 'export const a = 2;\n');
    const edited = await workflowSourceDigest(root, join(root, 'data'));
    expect(edited).not.toBe(first);
    await writeFile(join(root, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
    expect(await workflowSourceDigest(root, join(root, 'data'))).not.toBe(edited);
  });

  it('bundles once per set of sources and reuses the bundle until they change', async () => {
    const root = await project();
    const cacheDir = join(root, 'data', 'workflow-bundles');
    const built = await cachedWorkflowBundle({ root, workflowsPath: fixture, cacheDir });
    expect(built.source).toBe('built');
    expect(built.code).toContain('signalOrTimeoutWorkflow');
    expect(await readdir(cacheDir)).toEqual([built.path.split('/').pop()]);

    const reused = await cachedWorkflowBundle({ root, workflowsPath: fixture, cacheDir });
    expect(reused).toEqual({ ...built, source: 'cache' });

    await writeFile(join(root, 'workflows', 'a.ts'), 'export const a = 3;\n');
    const rebuilt = await cachedWorkflowBundle({ root, workflowsPath: fixture, cacheDir });
    expect(rebuilt.source).toBe('built');
    expect(rebuilt.path).not.toBe(built.path);
    // The bundle of the old sources is gone.
    expect(await readdir(cacheDir)).toEqual([rebuilt.path.split('/').pop()]);
  }, 120_000);

  it('is only an optimisation: a replica whose cache directory cannot be written still gets its bundle', async () => {
    const root = await project();
    // A cache directory under a file: neither creatable nor writable, whoever runs the test (even root).
    await writeFile(join(root, 'data', 'not-a-directory'), '');
    const cacheDir = join(root, 'data', 'not-a-directory', 'workflow-bundles');
    const logged: string[] = [];
    const built = await cachedWorkflowBundle({
      root,
      workflowsPath: fixture,
      cacheDir,
      log: (line) => logged.push(line),
    });
    expect(built.source).toBe('built');
    expect(built.code).toContain('signalOrTimeoutWorkflow');
    expect(logged.join('\n')).toMatch(/workflow bundle not cached \(.*\); the next start bundles again/);
  }, 120_000);
});
