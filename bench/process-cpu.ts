import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in ticks of 10 ms on every architecture Node runs on. */
const MS_PER_TICK = 10;

/**
 * CPU time (user + system, ms) a process has spent so far, from /proc/<pid>/stat; 0 when it is gone
 * or /proc is not there (the figure is then left out, see cpuMsOf). 10 ms resolution: measure
 * over seconds of load.
 */
function processCpuMs(pid: number): number {
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
