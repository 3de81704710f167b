import { describe, expect, it } from 'vitest';
import { createProgressBar, plainLineDue } from '../../../cli/progress-bar';

/** A stand-in for process.stderr that keeps what was written, and a clock the test moves. */
function fakeOutput(isTTY: boolean) {
  const writes: string[] = [];
  let clock = 1_000_000;
  return {
    output: { isTTY, write: (text: string) => writes.push(text) },
    now: () => clock,
    advance: (ms: number) => (clock += ms),
    writes,
    text: () => writes.join(''),
  };
}

describe('plainLineDue', () => {
  const at = (phase: string, done: number, percent: number | undefined, ms: number) => ({
    phase,
    done,
    percent,
    at: ms,
  });

  it('prints the first state and every phase change', () => {
    expect(plainLineDue(undefined, at('storing rows', 0, 0, 0))).toBe(true);
    expect(plainLineDue(at('validating rows', 10, 100, 0), at('storing rows', 0, 0, 1))).toBe(true);
  });

  it('prints when the percent reaches the next tenth, not in between', () => {
    expect(plainLineDue(at('p', 100, 10, 0), at('p', 150, 15, 60_000))).toBe(false);
    expect(plainLineDue(at('p', 100, 10, 0), at('p', 200, 20, 1))).toBe(true);
    expect(plainLineDue(at('p', 990, 99, 0), at('p', 1000, 100, 1))).toBe(true);
  });

  it('prints a bare count only every few seconds, and only when it moved', () => {
    expect(plainLineDue(at('p', 3, undefined, 0), at('p', 4, undefined, 1_000))).toBe(false);
    expect(plainLineDue(at('p', 3, undefined, 0), at('p', 4, undefined, 5_000))).toBe(true);
    expect(plainLineDue(at('p', 3, undefined, 0), at('p', 3, undefined, 60_000))).toBe(false);
  });
});

describe('createProgressBar without a terminal', () => {
  it('writes whole lines at each tenth, keeps each phase ending at 100 %, then the done line', () => {
    const f = fakeOutput(false);
    const bar = createProgressBar(f.output, { label: 'ingest', now: f.now });
    for (let done = 1; done <= 1000; done++) bar.update(done, 1000, 'validating rows');
    f.advance(2_000);
    for (let done = 0; done <= 1000; done += 250) bar.update(done, 1000, 'storing rows');
    bar.update(0, undefined, 'evaluating triggers');
    f.advance(1_000);
    bar.finish();

    const lines = f.text().split('\n').filter(Boolean);
    expect(f.writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    const validating = lines.filter((l) => l.startsWith('validating rows'));
    expect(validating.map((l) => /(\d+)%/.exec(l)?.[1])).toEqual([
      '0',
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ]);
    const storing = lines.filter((l) => l.startsWith('storing rows'));
    expect(storing.map((l) => /(\d+)%/.exec(l)?.[1])).toEqual(['0', '25', '50', '75', '100']);
    expect(storing.at(-1)).toContain('1,000/1,000  2 s');
    expect(lines.at(-2)).toBe('evaluating triggers  …  2 s');
    expect(lines.at(-1)).toBe('ingest done in 3 s');
  });

  it('shows the last state of a phase even when it fell between two tenths', () => {
    const f = fakeOutput(false);
    const bar = createProgressBar(f.output, { now: f.now });
    bar.update(0, 1000, 'storing rows');
    bar.update(55, 1000, 'storing rows');
    bar.update(0, undefined, 'evaluating triggers');
    expect(f.text()).toContain('storing rows  [#-------------------]    5%  55/1,000');
  });

  it('writes nothing more after an abort, and no done line without a label', () => {
    const f = fakeOutput(false);
    const bar = createProgressBar(f.output, { now: f.now });
    bar.update(1, 10, 'storing rows');
    const before = f.text();
    bar.abort();
    bar.finish();
    expect(f.text()).toBe(before);
  });
});

describe('createProgressBar on a terminal', () => {
  it('redraws one line in place and leaves each finished phase on a line of its own', () => {
    const f = fakeOutput(true);
    const bar = createProgressBar(f.output, { label: 'ingest', now: f.now });
    bar.update(0, 4, 'storing rows');
    for (let done = 1; done <= 4; done++) {
      f.advance(200);
      bar.update(done, 4, 'storing rows');
    }
    bar.update(0, undefined, 'evaluating triggers');
    bar.finish();

    const draws = f.writes.filter((w) => w.startsWith('\r'));
    expect(draws.length).toBeGreaterThanOrEqual(5);
    expect(draws.every((w) => w.endsWith('\x1b[K') && !w.includes('\n'))).toBe(true);
    const screen = f
      .text()
      .split('\n')
      .map((line) => line.split('\r').at(-1)!.replace('\x1b[K', ''));
    expect(screen[0]).toMatch(/^storing rows {2}\[#{20}\] {2}100% {2}4\/4/);
    expect(screen[1]).toMatch(/^evaluating triggers/);
    expect(screen[2]).toMatch(/^ingest done in \d+ s$/);
  });

  it('does not redraw more often than a few times a second', () => {
    const f = fakeOutput(true);
    const bar = createProgressBar(f.output, { now: f.now });
    for (let done = 0; done < 10_000; done++) bar.update(done, 100_000, 'validating rows');
    expect(f.writes).toHaveLength(1);
    bar.abort();
  });

  it('prints a note above the bar and draws the bar again below it', () => {
    const f = fakeOutput(true);
    const bar = createProgressBar(f.output, { now: f.now });
    bar.update(3, 10, 'compiling packages');
    bar.note('go: downloading example.com/x v1.0.0');
    bar.abort();
    expect(f.text()).toMatch(
      /\r\x1b\[Kgo: downloading example\.com\/x v1\.0\.0\n\rcompiling packages .* 3\/10 .*\x1b\[K\n$/,
    );
  });

  it('keeps a finished phase above a note that follows it, without drawing it again', () => {
    const f = fakeOutput(true);
    const bar = createProgressBar(f.output, { now: f.now });
    bar.update(10, 10, 'compiling packages');
    bar.note('Temporal CLI built in 90 s');
    bar.finish();
    expect(f.text()).toMatch(/^\rcompiling packages .* 10\/10 .*\x1b\[K\nTemporal CLI built in 90 s\n$/);
  });
});
