/** One state of a long operation, as the progress bar shows it. */
export interface ProgressSnapshot {
  phase: string;
  done: number;
  /** Undefined while the total is unknown: a spinner and the count instead of a bar. */
  total: number | undefined;
  elapsedMs: number;
}

export const BAR_WIDTH = 20;
const SPINNER = ['|', '/', '-', '\\'] as const;
const SPINNER_FRAME_MS = 250;

/** Whole percent, floored, so 100 % appears only once everything is done. */
export function percentOf(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

export function barCells(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total <= 0 ? width : Math.max(0, Math.min(width, Math.floor((done / total) * width)));
  return '#'.repeat(filled) + '-'.repeat(width - filled);
}

/** The spinner turns with time rather than with updates, so a stalled count still looks alive. */
export function spinnerFrame(elapsedMs: number): string {
  return SPINNER[Math.floor(elapsedMs / SPINNER_FRAME_MS) % SPINNER.length] ?? SPINNER[0];
}

const count = (n: number) => n.toLocaleString('en-US');
export const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/**
 * `storing rows  [########------------]  41%  41,000/100,000  12 s`, or a spinner and the count
 * without a total. A line that is not redrawn (`animated` false) has an ellipsis for the spinner.
 */
export function formatProgressLine(s: ProgressSnapshot, animated = true): string {
  if (s.total === undefined) {
    const busy = animated ? spinnerFrame(s.elapsedMs) : '…';
    return [s.phase, busy, ...(s.done > 0 ? [count(s.done)] : []), seconds(s.elapsedMs)].join('  ');
  }
  const percent = `${String(percentOf(s.done, s.total)).padStart(3)}%`;
  return [
    s.phase,
    `[${barCells(s.done, s.total)}]`,
    percent,
    `${count(s.done)}/${count(s.total)}`,
    seconds(s.elapsedMs),
  ].join('  ');
}

/** The last line, once the operation has finished. */
export function formatDoneLine(label: string, elapsedMs: number): string {
  return `${label} done in ${seconds(elapsedMs)}`;
}
