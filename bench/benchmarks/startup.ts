import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/env';
import { ensureTemporalCli } from '../../toolchain/temporal-cli';
import { runProcess } from '../../toolchain/run-process';
import { ensureTestServer } from '../../toolchain/test-server';
import type { Benchmark } from '../benchmark';
import { ownStackEnv } from '../../test/support/stack';
import { summarize } from '../stats';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TIMESKIP_FILES = ['test/timeskip/delegation.test.ts', 'test/timeskip/guard.test.ts'];

/** `npm start` on free ports and a data directory of its own: ms to "Warden is up." and to `warden status` ok. */
async function timeStart(env: NodeJS.ProcessEnv): Promise<{ upMs: number; healthyMs: number; phases: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['bin/run.js', 'start/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const marks: string[] = [];
    const upMs = await new Promise<number>((resolve, reject) => {
      let output = '';
      const onData = (c: Buffer) => {
        output += c.toString();
        // When each part came up, to see which one the start waits for.
        for (const line of c.toString().split('\n')) {
          if (/ready|listening|demo data|Warden is up|migrat/i.test(line)) marks.push(`${((performance.now() - t0) / 1000).toFixed(1)} s ${line.trim().slice(0, 80)}`);
        }
        if (output.includes('Warden is up.')) resolve(performance.now() - t0);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`npm start exited with ${code} before it was up:\n${output.slice(-2000)}`)));
    });
    for (;;) {
      const status = await runProcess(process.execPath, ['bin/warden.js', 'status', '--json'], { cwd: root, env });
      if (status.code === 0) return { upMs, healthyMs: performance.now() - t0, phases: marks.join('; ') };
      if (performance.now() - t0 > 180_000) throw new Error(`warden status not ok within 180 s:\n${(status.stdout + status.stderr).slice(-2000)}`);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** Item 7: start-up of the whole stack, and the 7-day tests on the time-skipping server. */
export const startup: Benchmark = {
  name: 'startup',
  item: 7,
  title: 'Start-up and time-skipping tests',
  method:
    '`npm start` (`node bin/run.js start/main.ts`, what the npm script runs after its dependency check) with the Temporal CLI ' +
    'already cached, on free ports and a fresh data directory: the first start (empty data: migrations and the demo seed) and ' +
    'restarts on the same data. Timed from spawn to the "Warden is up." line and to the first `warden status --json` that exits ' +
    `0 (Temporal, database, worker and API healthy), then stopped with SIGTERM. Then the wall time of the 7-day-timeout tests on the ` +
    `Java time-skipping server: \`npx vitest run --project timeskip ${TIMESKIP_FILES.join(' ')}\` (test server cached).`,
  limits:
    'The notes show when each part came up. The Temporal dev server and PGlite start side by side (start/main.ts), then ' +
    'the application process imports its modules, migrates, seeds (first start only) and creates the worker. The workflow ' +
    'bundle is built with webpack once per set of sources and kept in the data directory (worker/workflow-bundle-cache.ts, ' +
    'keyed by a digest of the project\'s sources), so a restart reads it instead of bundling again (12–13 s measured on its own ' +
    'at a load average of 25). What remains on a restart is process start-up and module loading of three Node processes and ' +
    'the dev server on two cores. On two shared cores every figure here moves with the load average',
  async run(ctx) {
    const restarts = ctx.size(2, 1);
    // BENCH_TIMESKIP=0 leaves the time-skipping tests out (they take minutes).
    const timeskipRuns = process.env.BENCH_TIMESKIP === '0' ? 0 : 1;
    const config = loadConfig();
    await ensureTemporalCli(config.cacheDir, ctx.log);
    await ensureTestServer({ onProgress: ctx.log });
    const dataDir = await mkdtemp(join(tmpdir(), 'warden-bench-start-'));
    const first: number[] = [];
    const firstUp: number[] = [];
    const again: number[] = [];
    const againUp: number[] = [];
    const timeskip: number[] = [];
    const notes: string[] = [];
    try {
      const { env } = await ownStackEnv(dataDir);
      const cold = await timeStart(env);
      first.push(cold.healthyMs);
      firstUp.push(cold.upMs);
      ctx.log(`first start: up ${cold.upMs.toFixed(0)} ms, healthy ${cold.healthyMs.toFixed(0)} ms`);
      notes.push(`first start, when each part came up: ${cold.phases}`);
      for (let i = 0; i < restarts; i++) {
        const warm = await timeStart(env);
        again.push(warm.healthyMs);
        againUp.push(warm.upMs);
        ctx.log(`restart ${i + 1}: up ${warm.upMs.toFixed(0)} ms, healthy ${warm.healthyMs.toFixed(0)} ms`);
        if (i === restarts - 1) notes.push(`restart, when each part came up: ${warm.phases}`);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    for (let i = 0; i < timeskipRuns; i++) {
      const t0 = performance.now();
      const r = await runProcess(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--project', 'timeskip', ...TIMESKIP_FILES], { cwd: root });
      const ms = performance.now() - t0;
      const output = r.stdout + r.stderr;
      if (r.code !== 0) notes.push(`time-skipping run ${i + 1} exited with ${r.code}: ${output.split('\n').filter((l) => /FAIL|Error/.test(l)).slice(0, 3).join(' | ')}`);
      timeskip.push(ms);
      const tests = /^\s*Tests\s+(.*)$/m.exec(output.replace(/\x1b\[[0-9;]*m/g, ''))?.[1]?.trim();
      ctx.log(`time-skipping tests: ${(ms / 1000).toFixed(1)} s (${tests ?? 'no summary'})`);
      if (tests) notes.push(`time-skipping run ${i + 1}: ${tests}`);
    }
    const s = (xs: number[]) => (xs.length > 0 ? summarize(xs).p50 / 1000 : null);
    return {
      parameters: { restarts, timeskipRuns, timeskipFiles: TIMESKIP_FILES },
      figures: [
        { key: 'first_healthy', label: 'first start (empty data) → status ok', value: s(first), unit: 's' },
        { key: 'first_up', label: 'first start (empty data) → "Warden is up."', value: s(firstUp), unit: 's' },
        { key: 'restart_healthy', label: 'restart → status ok, median', value: s(again), unit: 's' },
        { key: 'restart_up', label: 'restart → "Warden is up.", median', value: s(againUp), unit: 's' },
        { key: 'timeskip_wall', label: '7-day-timeout tests on the time-skipping server, wall time (median)', value: s(timeskip), unit: 's' },
      ],
      samples: { first_healthy_ms: first, restart_healthy_ms: again, first_up_ms: firstUp, restart_up_ms: againUp, timeskip_ms: timeskip },
      notes,
    };
  },
};
