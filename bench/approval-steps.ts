import { readdirSync, readFileSync } from 'node:fs';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The steps of one approval as its review's history timed them (server-side clock), in ms. */
export interface ApprovalSteps {
  /** Update accepted → recordReviewVote scheduled (the workflow task that ran the handler). */
  updateTask: number;
  /** recordReviewVote scheduled → started (waiting for an activity slot). */
  voteQueued: number;
  /** recordReviewVote started → completed (its statements). */
  voteRan: number;
  /** recordReviewVote completed → applyReviewOutput scheduled (the workflow task between them). */
  voteToApply: number;
  applyQueued: number;
  applyRan: number;
  /** applyReviewOutput completed → workflow completed (a task, the review.concluded check, the closing task). */
  applyToClosed: number;
  /** Update accepted → workflow completed. */
  total: number;
}

const ms = (e: HistoryEvent | undefined): number => {
  const t = e?.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
};

/** The steps of the first approval in `history` (a review approved once and applied), or undefined. */
export function approvalSteps(history: History): ApprovalSteps | undefined {
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const scheduled = (name: string) =>
    events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
  const after = (s: HistoryEvent | undefined, key: 'started' | 'completed') =>
    events.find((e) => {
      const attrs = key === 'started' ? e.activityTaskStartedEventAttributes : e.activityTaskCompletedEventAttributes;
      return attrs && Number(attrs.scheduledEventId) === Number(s?.eventId);
    });
  const accepted = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const vote = scheduled('recordReviewVote');
  const apply = scheduled('applyReviewOutput');
  const closed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  if (!accepted || !vote || !apply || !closed || !byId.size) return undefined;
  const [voteStarted, voteDone] = [after(vote, 'started'), after(vote, 'completed')];
  const [applyStarted, applyDone] = [after(apply, 'started'), after(apply, 'completed')];
  return {
    updateTask: ms(vote) - ms(accepted),
    voteQueued: ms(voteStarted) - ms(vote),
    voteRan: ms(voteDone) - ms(voteStarted),
    voteToApply: ms(apply) - ms(voteDone),
    applyQueued: ms(applyStarted) - ms(apply),
    applyRan: ms(applyDone) - ms(applyStarted),
    applyToClosed: ms(closed) - ms(applyDone),
    total: ms(closed) - ms(accepted),
  };
}

/** CPU time (user + system, ms) of each child process of this one, by its command name. */
export function childCpuMs(): Map<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const cpu = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid … utime stime cutime cstime": comm may hold spaces, so split after ')'.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    if (Number(fields[1]) !== process.pid) continue;
    const used = ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / ticks;
    cpu.set(name, (cpu.get(name) ?? 0) + used);
  }
  return cpu;
}
