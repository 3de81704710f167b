import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnManaged } from '../toolchain/child-process';
import type { CheckedPost } from './http-post';

const runner = fileURLToPath(new URL('../bin/run.js', import.meta.url));

/** A closed-loop load of identical POSTs, each answer checked to be 200 and to match `expect`. */
export interface HttpLoad extends CheckedPost {
  warmup: number;
  requests: number;
  concurrency: number;
  /** `node:http` (checkedPoster, the default) or HTTP/1.1 over `net` by hand (rawCheckedPoster, bench/raw-http-post.ts). */
  generator?: 'node-http' | 'raw';
}

export interface HttpLoadResult {
  latencies: number[];
  wallMs: number;
  /** CPU time (user + system) the load generator itself spent on the measured requests. */
  cpuMs: number;
}

/**
 * closedLoop (bench/load.ts) over HTTP from a child process (bench/stack/http-load-main.ts): the
 * warm-up, then the measured requests; the latencies of the measured ones and their wall time.
 */
export async function httpLoadInChild(load: HttpLoad): Promise<HttpLoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'warden-http-load-'));
  try {
    const spec = join(dir, 'spec.json');
    const out = join(dir, 'result.json');
    await writeFile(spec, JSON.stringify(load));
    const child = spawnManaged('http-load', process.execPath, [
      runner,
      'bench/stack/http-load-main.ts',
      '--spec',
      spec,
      '--out',
      out,
    ]);
    const code = await child.exited;
    if (code !== 0) throw new Error(`the load generator exited with code ${code} (its output is above)`);
    return JSON.parse(await readFile(out, 'utf8')) as HttpLoadResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
