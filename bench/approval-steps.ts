import { readdirSync, readFileSync } from 'node:fs';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Where the time of one approval went, from its review's history (server-side clock), in ms. An
 * approval is the workflow tasks from the one that ran its Update to the one that closed the
 * review, and the activity tasks between them: each waits in its task queue (scheduled → started)
 * and then runs (started → completed). A local activity (the deciding vote's recordVoteAndApply,
 * the review.concluded announcement) runs inside its workflow task and so counts in `tasksRan`.
 */
export interface ApprovalSteps {
  /** Workflow tasks from the Update's to the closing one, scheduled → started, summed. */
  tasksQueued: number;
  /** The same tasks, started → completed, summed (local activities included). */
  tasksRan: number;
  /** Workflow tasks in the approval (the Update's included). */
  tasks: number;
  /** Activity tasks, scheduled → started, summed. */
  activitiesQueued: number;
  /** Activity tasks, started → completed, summed. */
  activitiesRan: number;
  /** The Update's workflow task scheduled → workflow completed. */
  total: number;
}

const ms = (e: HistoryEvent | undefined): number => {
  const t = e?.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
};

/** The steps of the first approval in `history` (a review approved once and closed), or undefined. */
export function approvalSteps(history: History): ApprovalSteps | undefined {
  const events = history.events ?? [];
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const closed = events.findIndex((e) => e.workflowExecutionCompletedEventAttributes);
  if (accepted < 0 || closed < 0) return undefined;
  // The Update ran in the last workflow task scheduled before its acceptance was recorded.
  let first = accepted;
  while (first >= 0 && !events[first]!.workflowTaskScheduledEventAttributes) first -= 1;
  if (first < 0) return undefined;
  const steps: ApprovalSteps = {
    tasksQueued: 0,
    tasksRan: 0,
    tasks: 0,
    activitiesQueued: 0,
    activitiesRan: 0,
    total: 0,
  };
  const at = new Map(events.map((e) => [Number(e.eventId), e]));
  for (const e of events.slice(first, closed + 1)) {
    const task = e.workflowTaskStartedEventAttributes;
    const taskDone = e.workflowTaskCompletedEventAttributes;
    const activity = e.activityTaskStartedEventAttributes;
    const activityDone = e.activityTaskCompletedEventAttributes;
    if (task) {
      steps.tasks += 1;
      steps.tasksQueued += ms(e) - ms(at.get(Number(task.scheduledEventId)));
    } else if (taskDone) steps.tasksRan += ms(e) - ms(at.get(Number(taskDone.startedEventId)));
    else if (activity) steps.activitiesQueued += ms(e) - ms(at.get(Number(activity.scheduledEventId)));
    else if (activityDone) steps.activitiesRan += ms(e) - ms(at.get(Number(activityDone.startedEventId)));
  }
  steps.total = ms(events[closed]) - ms(events[first]);
  return steps;
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
