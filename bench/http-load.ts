import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnManaged } from '../toolchain/child-process';

const runner = fileURLToPath(new URL('../bin/run.js', import.meta.url));

/** A closed-loop load of identical (or numbered) POSTs, each answer checked to be 2xx and to match `expect`. */
export interface HttpLoad {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** A regular expression every answer's body must match, e.g. `"decision":\\s*"allowed"`. */
  expect: string;
  /**
   * When set, each occurrence of this token in `body` is replaced by the request's number (warm-up
   * included, each request its own), for a load whose requests must each store rows of their own.
   */
  numbered?: string;
  warmup: number;
  requests: number;
  concurrency: number;
}

/**
 * closedLoop (bench/load.ts) over HTTP from a child process (bench/stack/http-load-main.ts): the
 * warm-up, then the measured requests; the latencies of the measured ones and their wall time.
 */
export async function httpLoadInChild(load: HttpLoad): Promise<{ latencies: number[]; wallMs: number }> {
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
    return JSON.parse(await readFile(out, 'utf8')) as { latencies: number[]; wallMs: number };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
