import { describe, expect, it } from 'vitest';
import {
  BAR_WIDTH,
  barCells,
  formatDoneLine,
  formatProgressLine,
  percentOf,
  spinnerFrame,
} from '../../../cli/progress-line';

describe('progress line formatting', () => {
  it('fills the bar in proportion, never past its width', () => {
    expect(barCells(0, 100)).toBe('-'.repeat(BAR_WIDTH));
    expect(barCells(41, 100)).toBe(`${'#'.repeat(8)}${'-'.repeat(12)}`);
    expect(barCells(100, 100)).toBe('#'.repeat(BAR_WIDTH));
    expect(barCells(150, 100)).toBe('#'.repeat(BAR_WIDTH));
    expect(barCells(1, 3, 9)).toBe('###------');
    expect(barCells(0, 0)).toBe('#'.repeat(BAR_WIDTH));
  });

  it('floors the percent so 100 % means everything is done', () => {
    expect(percentOf(0, 7)).toBe(0);
    expect(percentOf(999, 1000)).toBe(99);
    expect(percentOf(1000, 1000)).toBe(100);
    expect(percentOf(1200, 1000)).toBe(100);
    expect(percentOf(0, 0)).toBe(100);
  });

  it('shows phase, bar, percent, count with thousands separators and seconds', () => {
    expect(formatProgressLine({ phase: 'storing rows', done: 41_000, total: 100_000, elapsedMs: 12_400 })).toBe(
      `storing rows  [${'#'.repeat(8)}${'-'.repeat(12)}]   41%  41,000/100,000  12 s`,
    );
    expect(formatProgressLine({ phase: 'compiling packages', done: 1297, total: 1297, elapsedMs: 95_600 })).toBe(
      `compiling packages  [${'#'.repeat(20)}]  100%  1,297/1,297  96 s`,
    );
  });

  it('without a total shows a spinner and the count so far', () => {
    expect(formatProgressLine({ phase: 'downloading modules', done: 12, total: undefined, elapsedMs: 3_000 })).toBe(
      `downloading modules  ${spinnerFrame(3_000)}  12  3 s`,
    );
    expect(formatProgressLine({ phase: 'evaluating triggers', done: 0, total: undefined, elapsedMs: 0 })).toBe(
      'evaluating triggers  |  0 s',
    );
    expect(formatProgressLine({ phase: 'downloading modules', done: 3, total: undefined, elapsedMs: 750 }, false)).toBe(
      'downloading modules  …  3  1 s',
    );
  });

  it('turns the spinner with time', () => {
    const frames = [0, 250, 500, 750, 1000].map(spinnerFrame);
    expect(frames).toEqual(['|', '/', '-', '\\', '|']);
  });

  it('ends with the operation and its duration', () => {
    expect(formatDoneLine('ingest', 4_499)).toBe('ingest done in 4 s');
  });
});
