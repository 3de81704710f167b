import { readdirSync, readFileSync } from 'node:fs';

// What the tools under bench/tools read of the processes a local stack runs: which they are, their
// threads' CPU, and the Temporal dev server's own request counters.

/** This process's descendants (pid → short name), the Temporal dev server and the database among them. */
export function descendants(): Map<number, string> {
  const parentOf = new Map<number, number>();
  const nameOf = new Map<number, string>();
  for (const d of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(d), Number(fields[1]));
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
      nameOf.set(
        Number(d),
        cmd
          .slice(0, 3)
          .map((a) => a.split('/').pop())
          .join(' ')
          .slice(0, 60),
      );
    } catch {
      // gone meanwhile
    }
  }
  const mine = new Map<number, string>();
  for (const [pid, name] of nameOf) {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p))
      if (p === process.pid) {
        mine.set(pid, name);
        break;
      }
  }
  return mine;
}

/** A process's CPU so far by thread name (threads of one name summed: the runtime's pools). */
export function threadsOf(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
      } catch {
        // ended meanwhile
      }
    }
  } catch {
    // gone
  }
  return out;
}

/**
 * The dev server's request counters by operation (its Prometheus endpoint): the frontend's
 * requests, the persistence and visibility operations behind them, and the history service's
 * tasks, summed over the labels other than the operation.
 */
export async function serverCounters(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  const wanted =
    /^(service_requests|persistence_requests|visibility_persistence_requests|task_requests)\{(.*)\} ([0-9.e+]+)$/;
  for (const line of text.split('\n')) {
    const m = wanted.exec(line);
    if (!m) continue;
    const labels = m[2]!;
    const op = /operation="([^"]*)"/.exec(labels)?.[1] ?? '?';
    const key = `${m[1]} ${op}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[3]));
  }
  return out;
}

export function counterDelta(
  before: Map<string, number>,
  after: Map<string, number>,
  per: number,
): Record<string, number> {
  return Object.fromEntries(
    [...after]
      .map(([k, v]) => [k, Number(((v - (before.get(k) ?? 0)) / per).toFixed(2))] as const)
      .filter(([, v]) => v >= 0.05)
      .sort((a, b) => b[1] - a[1]),
  );
}

/**
 * Waits until the dev server has completed no workflow task for `quietMs` (its counter of
 * RespondWorkflowTaskCompleted stands still; at most `maxMs`), so that the first tasks of the
 * workflows just started are counted in the phase that started them even on a loaded machine,
 * where a fixed settling time left some of them to the next phase.
 */
export async function untilTasksSettle(port: number, quietMs = 3000, maxMs = 120_000): Promise<void> {
  const completed = async () => (await serverCounters(port)).get('service_requests RespondWorkflowTaskCompleted') ?? 0;
  const deadline = Date.now() + maxMs;
  let last = await completed();
  let stillSince = Date.now();
  while (Date.now() < deadline && Date.now() - stillSince < quietMs) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await completed();
    if (now !== last) [last, stillSince] = [now, Date.now()];
  }
}
