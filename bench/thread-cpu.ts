import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

/** Each thread's CPU time so far (user + system, ms), by thread id; empty where /proc has no tasks. */
function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

export interface CpuSpent {
  /** The whole process (every thread), ms. */
  processMs: number;
  /** The main thread (the client and the activities), ms. */
  mainMs: number;
  /** The busiest other thread (the SDK's workflow thread, or one of its core's), ms. */
  busiestOtherMs: number;
  /** The three busiest other threads, ms, busiest first (to see how far ahead the busiest is). */
  topOthersMs: number[];
}

/**
 * CPU time this process spends from now until `stop`, in all, on its main thread and on its
 * busiest other thread: what an operation costs in CPU, which a loaded shared machine distorts
 * far less than wall-clock rates (a millisecond or two per review opening between load 11 and 25).
 */
export function measureCpu(): { stop(): CpuSpent } {
  const process0 = process.cpuUsage();
  const threads0 = threadCpuMs();
  return {
    stop() {
      const spent = process.cpuUsage(process0);
      const main = String(process.pid);
      let mainMs = 0;
      const others: number[] = [];
      for (const [tid, ms] of threadCpuMs()) {
        const delta = ms - (threads0.get(tid) ?? 0);
        if (tid === main) mainMs = delta;
        else others.push(delta);
      }
      others.sort((a, b) => b - a);
      const topOthersMs = others.slice(0, 3);
      return { processMs: (spent.user + spent.system) / 1000, mainMs, busiestOtherMs: others[0] ?? 0, topOthersMs };
    },
  };
}
