// Where a V8 CPU profile's time went within a window of the monotonic clock:
//   node bin/run.js bench/tools/profile-window.ts <file.cpuprofile> <startUs> <endUs> [top] [--under <function>]
// e.g. the window review-lifecycle logs for its approvals at rest ("approvals at rest: monotonic
// <start>..<end> µs") on the profiles BENCH_CPU_PROF=<dir> writes (one per thread of the benchmark
// process: the main thread runs the client and the activities, another the workflows). Prints the
// busy time, then the top functions by self time and by inclusive time (each counted once per
// sample however often it recurs), or with --under, by the functions called directly from it.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, start, end, topArg] = process.argv.slice(2);
if (!file || !start || !end) throw new Error('usage: profile-window.ts <file.cpuprofile> <startUs> <endUs> [top]');
const under = process.argv.includes('--under') ? process.argv[process.argv.indexOf('--under') + 1] : undefined;
const top = Number(topArg && !topArg.startsWith('--') ? topArg : 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const name = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const add = (m: Map<string, number>, k: string, ms: number) => m.set(k, (m.get(k) ?? 0) + ms);
let busy = 0;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i]!;
  if (t < Number(start) || t > Number(end)) continue;
  const leaf = byId.get(profile.samples[i]!)!;
  if (leaf.callFrame.functionName === '(idle)') continue;
  // A sample stands for the time until the next one.
  const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
  busy += ms;
  add(self, name(leaf), ms);
  const stack: ProfileNode[] = [];
  for (let id: number | undefined = leaf.id; id !== undefined; id = parentOf.get(id)) stack.push(byId.get(id)!);
  if (under) {
    const at = stack.findIndex((n) => n.callFrame.functionName === under);
    if (at >= 0) add(inclusive, at === 0 ? '(self)' : name(stack[at - 1]!), ms);
  } else for (const k of new Set(stack.map(name))) add(inclusive, k, ms);
}
const print = (title: string, m: Map<string, number>) => {
  console.log(`--- ${title}`);
  for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${ms.toFixed(1).padStart(9)} ms  ${k}`);
};
console.log(`busy ${busy.toFixed(0)} ms in the window`);
if (under) print(`called directly from ${under} (inclusive)`, inclusive);
else {
  print('self', self);
  print('inclusive', inclusive);
}
