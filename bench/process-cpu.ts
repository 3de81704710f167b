import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

interface Stat {
  pid: number;
  ppid: number;
  cpuMs: number;
}

function statOf(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    return { pid, ppid: Number(fields[1]), cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return null; // gone meanwhile, or no /proc
  }
}

/** A file of /proc, or null when it cannot be read (the process is gone, or there is no /proc). */
function readProc<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}

function nameOf(pid: number, names: Record<string, RegExp>): string {
  const cmdline = readProc(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
  if (cmdline === null) return 'gone';
  for (const [name, pattern] of Object.entries(names)) if (pattern.test(cmdline)) return name;
  return cmdline.split(' ')[0]!.split('/').pop() ?? 'unknown';
}

/**
 * CPU time (user + system, ms) used so far by this process (`self`) and by each of its direct
 * children with everything they started, keyed by the first of `names` whose pattern matches the
 * child's command line (else its executable's name; children of one name are summed). On a
 * shared machine wall time says little: CPU per operation of each process says what it costs.
 * Empty of children where /proc is missing.
 */
export function cpuOfProcessTree(names: Record<string, RegExp> = {}): Map<string, number> {
  const own = process.cpuUsage();
  const cpu = new Map<string, number>([['self', (own.user + own.system) / 1000]]);
  const pids = readProc(() => readdirSync('/proc').flatMap((d) => (/^\d+$/.test(d) ? [Number(d)] : [])));
  if (!pids) return cpu;
  const stats = pids.flatMap((pid) => statOf(pid) ?? []);
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const subtree = (s: Stat): number => s.cpuMs + (children.get(s.pid) ?? []).reduce((t, c) => t + subtree(c), 0);
  for (const child of children.get(process.pid) ?? []) {
    const name = nameOf(child.pid, names);
    cpu.set(name, (cpu.get(name) ?? 0) + subtree(child));
  }
  return cpu;
}

/** What each process of the tree spent between two readings of cpuOfProcessTree, in ms. */
export function cpuSpent(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...after].map(([name, ms]) => [name, ms - (before.get(name) ?? 0)]));
}
