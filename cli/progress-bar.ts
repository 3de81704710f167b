import type { ProgressCallback } from '../domain/progress';
import { formatDoneLine, formatProgressLine, percentOf, type ProgressSnapshot } from './progress-line';

/** Where the bar goes: standard error, never standard output (that carries results and --json). */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressBar {
  update: ProgressCallback;
  /** A message of its own line, printed above the bar without breaking it. */
  note(line: string): void;
  /** Leaves the last state on screen and, with a label, ends with "<label> done in N s". */
  finish(): void;
  /** Ends the bar line so an error message starts on a line of its own. */
  abort(): void;
}

interface Drawn {
  phase: string;
  done: number;
  percent: number | undefined;
  at: number;
}

const PLAIN_STEP_PERCENT = 10;
/** Counts without a total have no percent to step on: a plain line at most this often. */
const PLAIN_COUNT_EVERY_MS = 5_000;
/** A terminal is redrawn at most this often, so a 100,000-row file does not mean 100,000 writes. */
const TTY_REDRAW_MS = 100;
/** Keeps the spinner and the seconds moving while a phase reports nothing (a long SQL statement, a go listing). */
const TTY_TICK_MS = 250;

/**
 * Without a terminal (CI logs, pipes) every redraw would be a line of its own: a line when the phase
 * changes, when the percent reaches the next tenth, or for a bare count every few seconds.
 */
export function plainLineDue(last: Drawn | undefined, next: Drawn): boolean {
  if (!last || last.phase !== next.phase) return true;
  if (next.done === last.done) return false;
  if (next.percent === undefined || last.percent === undefined) return next.at - last.at >= PLAIN_COUNT_EVERY_MS;
  return Math.floor(next.percent / PLAIN_STEP_PERCENT) > Math.floor(last.percent / PLAIN_STEP_PERCENT);
}

function ttyRedrawDue(last: Drawn | undefined, next: Drawn): boolean {
  return !last || last.phase !== next.phase || next.percent === 100 || next.at - last.at >= TTY_REDRAW_MS;
}

/**
 * A progress bar on `output`: one line redrawn in place on a terminal, plain lines otherwise.
 * `label` names the whole operation for the final "done" line.
 */
export function createProgressBar(
  output: ProgressOutput,
  opts: { label?: string; now?: () => number } = {},
): ProgressBar {
  const now = opts.now ?? Date.now;
  const tty = output.isTTY === true;
  const started = now();
  let current: ProgressSnapshot | undefined;
  let drawn: Drawn | undefined;
  let lineOpen = false;
  let ticker: NodeJS.Timeout | undefined;

  const stateOf = (s: ProgressSnapshot): Drawn => ({
    phase: s.phase,
    done: s.done,
    percent: s.total === undefined ? undefined : percentOf(s.done, s.total),
    at: started + s.elapsedMs,
  });
  const draw = (s: ProgressSnapshot) => {
    if (tty) {
      output.write(`\r${formatProgressLine(s)}\x1b[K`);
      lineOpen = true;
    } else output.write(`${formatProgressLine(s, false)}\n`);
    drawn = stateOf(s);
  };
  const closeLine = () => {
    if (lineOpen) output.write('\n');
    lineOpen = false;
  };
  /** The last state of a phase is always shown, so a finished phase reads 100 %. */
  const drawPending = () => {
    if (current && (!drawn || drawn.phase !== current.phase || drawn.done !== current.done)) draw(current);
  };
  const stopTicker = () => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
  };

  return {
    update(done, total, phase) {
      const next: ProgressSnapshot = { phase, done, total, elapsedMs: now() - started };
      if (current && current.phase !== phase) {
        drawPending();
        closeLine();
      }
      current = next;
      if ((tty ? ttyRedrawDue : plainLineDue)(drawn, stateOf(next))) draw(next);
      if (tty && !ticker) {
        ticker = setInterval(
          () => current && lineOpen && draw({ ...current, elapsedMs: now() - started }),
          TTY_TICK_MS,
        );
        ticker.unref();
      }
    },
    note(line) {
      // A finished phase stays above the note ("built in 90 s" follows "100 %"); one under way is
      // cleared and drawn again below it.
      const complete = current !== undefined && current.total !== undefined && current.done >= current.total;
      if (lineOpen) output.write(complete ? '\n' : '\r\x1b[K');
      output.write(`${line}\n`);
      lineOpen = false;
      if (tty && current && !complete) draw({ ...current, elapsedMs: now() - started });
    },
    finish() {
      stopTicker();
      drawPending();
      closeLine();
      if (opts.label && current) output.write(`${formatDoneLine(opts.label, now() - started)}\n`);
      current = undefined;
    },
    abort() {
      stopTicker();
      closeLine();
      current = undefined;
    },
  };
}
