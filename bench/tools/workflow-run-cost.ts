// What one workflow run of a loop evaluates and keeps, from the worker's bundle:
//   node --expose-gc bin/run.js bench/tools/workflow-run-cost.ts [loop-index] [workflow] [runs]
// (default ./workflows/delegation/index.ts, delegationReviewWorkflow, 200 runs). The SDK's reusable VM evaluates the bundle
// once; each workflow run then gets a module cache of its own, so the modules the run imports (those
// the SDK's own entry did not load first, which it shares) are evaluated again for the run and kept
// with it while it is cached. This lists those modules with their sizes, then evaluates them as the
// SDK does (a vm context, a shared cache for what the entry loads, a fresh one per run) and reports
// CPU per run and the heap each run retains (module objects only: not the run's own state).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import vm from 'node:vm';
import { loadConfig } from '../../config/env';
import { workflowsPath } from '../../worker/create-worker';
import { cachedWorkflowBundle } from '../../worker/workflow-bundle-cache';

const SDK_ENTRY = './node_modules/@temporalio/workflow/lib/worker-interface.js';
const root = fileURLToPath(new URL('../..', import.meta.url));
const loop = process.argv[2] ?? './workflows/delegation/index.ts';
const workflow = process.argv[3] ?? 'delegationReviewWorkflow';
const runs = Number(process.argv[4] ?? 200);

/** The bundle's modules (webpack's development layout: one `/***\/ "id"` header each), with what each requires. */
function modulesOf(code: string): Map<string, { size: number; deps: string[] }> {
  const heads = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"$/gm)];
  return new Map(
    heads.map((head, i) => {
      const body = code.slice(head.index, heads[i + 1]?.index ?? code.length);
      const deps = [...body.matchAll(/__webpack_require__\(\/\*![^*]*\*\/ "([^"]+)"\)/g)].map((m) => m[1]!);
      return [head[1]!, { size: body.length, deps }];
    }),
  );
}

function reachable(mods: Map<string, { deps: string[] }>, from: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id) || !mods.has(id)) continue;
    seen.add(id);
    todo.push(...mods.get(id)!.deps);
  }
  return seen;
}

const { code } = await cachedWorkflowBundle({
  root,
  workflowsPath,
  cacheDir: join(loadConfig().cacheDir, 'bench-workflow-bundles'),
});
const mods = modulesOf(code);
const shared = reachable(mods, [SDK_ENTRY]);
const perRun = [...reachable(mods, [loop])]
  .filter((id) => !shared.has(id))
  .map((id) => [id, mods.get(id)!.size] as const);
perRun.sort((a, b) => b[1] - a[1]);
console.log(`${loop}: ${perRun.length} modules evaluated per run, ${perRun.reduce((a, [, s]) => a + s, 0)} characters`);
for (const [id, size] of perRun) console.log(`${String(size).padStart(9)}  ${id}`);

// Evaluated as the SDK's reusable VM does (reusable-vm.js): modules loaded before any run are shared.
const sharedCache = new Map<string | symbol, unknown>();
let runCache: Map<string | symbol, unknown> | null = null;
const context = vm.createContext({ console, setTimeout, clearTimeout, TextEncoder, TextDecoder, URL, AbortController });
Object.defineProperty(context, '__webpack_module_cache__', {
  value: new Proxy(
    {},
    {
      get: (_, p) => sharedCache.get(p) ?? runCache?.get(p),
      set: (_, p, v) => (runCache ?? sharedCache).set(p, v) !== undefined,
    },
  ),
});
vm.runInContext(code, context);
const temporal = vm.runInContext('__TEMPORAL__', context) as {
  importWorkflows(): Record<string, () => Promise<unknown>>;
};
const kept: unknown[] = [];
async function oneRun(): Promise<void> {
  runCache = new Map();
  const workflows = temporal.importWorkflows();
  // The call loads the loop's modules, then fails for want of a workflow activator: what is measured is the import.
  await workflows[workflow]!().catch(() => undefined);
  kept.push(runCache);
}
const gc = (globalThis as { gc?: () => void }).gc;
await oneRun();
gc?.();
const heap0 = getHeapStatistics().used_heap_size;
const cpu0 = process.cpuUsage();
for (let i = 0; i < runs; i++) await oneRun();
const cpu = process.cpuUsage(cpu0);
gc?.();
const heap1 = getHeapStatistics().used_heap_size;
console.log(
  `per run (${runs} runs, each kept): CPU ${((cpu.user + cpu.system) / 1000 / runs).toFixed(2)} ms, ` +
    `retained heap ${((heap1 - heap0) / 1024 / runs).toFixed(1)} KiB${gc ? '' : ' (without --expose-gc: indicative)'}`,
);
