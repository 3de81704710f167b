import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in ticks of 10 ms on every architecture Node runs on. */
const MS_PER_TICK = 10;

/**
 * CPU time (user + system, ms) a process has spent so far, from /proc/<pid>/stat; 0 when it is gone
 * or /proc is not there (the figure is then left out, see cpuMsOf). 10 ms resolution: measure
 * over seconds of load.
 */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return 0;
  }
}

/** The CPU time the processes `pids` spend while `work` runs (ms, summed); null without /proc. */
export async function cpuMsOf<T>(pids: number[], work: () => Promise<T>): Promise<{ result: T; cpuMs: number | null }> {
  const before = pids.map(processCpuMs);
  const result = await work();
  const spent = pids.reduce((sum, pid, i) => sum + processCpuMs(pid) - before[i]!, 0);
  return { result, cpuMs: pids.length > 0 && before.some((ms) => ms > 0) ? spent : null };
}

/**
 * cpuMsOf for several groups of processes at once (e.g. the API, the worker, the database), each
 * named: the CPU time each group spends while `work` runs (ms), null for a group with no process.
 */
export async function cpuMsOfEach<T, K extends string>(
  groups: Record<K, number[]>,
  work: () => Promise<T>,
): Promise<{ result: T; cpuMs: Record<K, number | null> }> {
  const names = Object.keys(groups) as K[];
  const before = names.map((k) => groups[k].map(processCpuMs));
  const result = await work();
  const cpuMs = Object.fromEntries(
    names.map((k, g) => {
      const pids = groups[k];
      const spent = pids.reduce((sum, pid, i) => sum + processCpuMs(pid) - before[g]![i]!, 0);
      return [k, pids.length > 0 && before[g]!.some((ms) => ms > 0) ? spent : null];
    }),
  ) as Record<K, number | null>;
  return { result, cpuMs };
}

/**
 * The direct children of this process whose command line matches `pattern` (the benchmark's worker
 * or Temporal dev server), for cpuMsOfEach; empty without /proc.
 */
export function childProcessIds(pattern: RegExp): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.flatMap((d) => {
    if (!/^\d+$/.test(d)) return [];
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return ppid === process.pid && pattern.test(cmdline) ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}
